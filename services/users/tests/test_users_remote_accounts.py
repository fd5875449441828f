"""Remote accounts: a remote actor the federation service saw is an account with a domain,
shown by `user@host`, announced like a local one (with its domain), never able to sign in;
newer sightings refresh it, older or repeated ones change nothing."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.events.federation import RemoteAccountSeen
from shared.remote_accounts import remote_user_id
from shared.testing import EventInjector, EventRecorder, identity_headers
from users.remote.rules import remote_display_name

type Register = Callable[..., Awaitable[dict[str, Any]]]

ACTOR = "https://social.example/users/ada"
HANDLE = "ada@social.example"
SEEN_AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def seen(
    *, name: str = "Ada L.", at: datetime = SEEN_AT, avatar_url: str | None = None
) -> RemoteAccountSeen:
    return RemoteAccountSeen(
        user_id=remote_user_id(ACTOR),
        handle=HANDLE,
        display_name=name,
        actor_url=ACTOR,
        domain="social.example",
        avatar_url=avatar_url,
        seen_at=at,
    )


async def remote_profile(client: httpx.AsyncClient, viewer_id: str) -> dict[str, Any]:
    answer = await client.get(f"/v1/users/{HANDLE}", headers=identity_headers(viewer_id, "users"))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_a_remote_display_name_is_cut_to_the_local_length_or_falls_back_to_the_username() -> None:
    assert remote_display_name(seen(name="x" * 80)) == "x" * 50
    assert remote_display_name(seen(name="\u200b")) == "ada"


async def test_a_seen_actor_becomes_an_account_with_its_domain_announced_like_a_local_one(
    client: httpx.AsyncClient,
    register: Register,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    viewer = await register("viewer")
    picture = "https://social.example/ada.png"

    await events.publish(seen(avatar_url=picture))

    profile = await remote_profile(client, viewer["id"])
    assert profile["id"] == remote_user_id(ACTOR)
    assert profile["handle"] == HANDLE
    assert profile["display_name"] == "Ada L."
    assert profile["domain"] == "social.example"
    assert profile["actor_url"] == ACTOR
    assert profile["avatar"] == {"small": picture, "large": picture}
    assert profile["followers_count"] == 0
    local, remote = await event_recorder.wait_for("user.registered", count=2)
    assert local.data["domain"] is None
    assert remote.data["user_id"] == remote_user_id(ACTOR)
    assert remote.data["domain"] == "social.example"
    (updated,) = await event_recorder.wait_for("user.updated")
    assert updated.data["avatar"] == {"small": picture, "large": picture}
    assert updated.data["domain"] == "social.example"


async def test_a_local_profile_has_no_domain(client: httpx.AsyncClient, register: Register) -> None:
    viewer = await register("viewer")
    await register("local")

    answer = await client.get("/v1/users/local", headers=identity_headers(viewer["id"], "users"))

    assert "domain" not in answer.json()
    assert "actor_url" not in answer.json()


async def test_a_remote_account_can_never_sign_in(
    client: httpx.AsyncClient, events: EventInjector
) -> None:
    await events.publish(seen())

    answer = await client.post("/v1/auth/token", json={"handle": HANDLE, "password": ""})

    assert answer.status_code == 401


async def test_a_newer_sighting_refreshes_the_account_and_an_older_or_repeated_one_does_not(
    client: httpx.AsyncClient,
    register: Register,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    viewer = await register("viewer")
    await events.publish(seen())
    renamed = seen(name="Ada Lovelace", at=SEEN_AT + timedelta(hours=1))

    await events.publish(renamed)
    (updated,) = await event_recorder.wait_for("user.updated")
    await events.publish(seen(name="Older", at=SEEN_AT + timedelta(minutes=30)), renamed)

    assert updated.data["display_name"] == "Ada Lovelace"
    assert updated.data["domain"] == "social.example"
    assert (await remote_profile(client, viewer["id"]))["display_name"] == "Ada Lovelace"
