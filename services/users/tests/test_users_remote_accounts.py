"""Remote accounts: a remote actor the federation service saw is an account with a domain,
shown by `user@host`, announced like a local one (with its domain), never able to sign in;
newer sightings refresh it, older or repeated ones change nothing. Its follows of local
accounts are follows like any other."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.bus import EVENT_HANDLING
from shared.events.federation import (
    RemoteAccountDeleted,
    RemoteAccountMoved,
    RemoteAccountSeen,
    RemoteFollowReceived,
    RemoteFollowRejected,
    RemoteUnfollowReceived,
)
from shared.remote_accounts import remote_user_id
from shared.testing import (
    EventInjector,
    EventRecorder,
    FederationStandIn,
    caller_headers,
    identity_headers,
    wait_until,
)
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
    return await profile_of(client, HANDLE, viewer_id)


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

    answer = await get_user(client, "local", viewer["id"])

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


# Remote follows of local accounts


def followed(
    followee_id: str, activity: str = "https://social.example/follows/1"
) -> RemoteFollowReceived:
    return RemoteFollowReceived(
        activity_id=activity,
        follower_id=remote_user_id(ACTOR),
        followee_id=followee_id,
        followed_at=SEEN_AT,
    )


def failed_handlings(event_type: str) -> int:
    """How many deliveries of `event_type` the users service's handlers failed so far."""
    return sum(
        int(sample.value)
        for metric in EVENT_HANDLING.collect()
        for sample in metric.samples
        if sample.name.endswith("_count")
        and sample.labels == {"service": "users", "event_type": event_type, "outcome": "failed"}
    )


async def test_a_remote_follow_is_a_follow_counted_and_announced_and_its_undo_ends_it(
    client: httpx.AsyncClient,
    register: Register,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    ann = await register("ann")
    await events.publish(seen())

    await events.publish(followed(ann["id"]))

    assert (await profile_of(client, "ann", ann["id"]))["followers_count"] == 1
    assert (await remote_profile(client, ann["id"]))["relationship"]["followed_by"] is True
    (follow,) = await event_recorder.wait_for("user.followed")
    assert (follow.data["follower_id"], follow.data["followee_id"]) == (
        remote_user_id(ACTOR),
        ann["id"],
    )

    await events.publish(
        RemoteUnfollowReceived(
            activity_id="https://social.example/undos/1",
            follower_id=remote_user_id(ACTOR),
            followee_id=ann["id"],
            unfollowed_at=SEEN_AT,
        )
    )

    assert (await profile_of(client, "ann", ann["id"]))["followers_count"] == 0
    (unfollow,) = await event_recorder.wait_for("user.unfollowed")
    assert unfollow.data["follower_id"] == remote_user_id(ACTOR)


async def test_a_remote_follow_before_its_account_is_made_once_the_account_arrives(
    client: httpx.AsyncClient, register: Register, events: EventInjector
) -> None:
    ann = await register("ann")
    failures = failed_handlings("federation.remote_follow_received")

    early = asyncio.create_task(events.publish(followed(ann["id"])))
    await wait_until(
        lambda: failed_handlings("federation.remote_follow_received") > failures or None
    )
    await events.publish(seen())
    await early

    assert (await profile_of(client, "ann", ann["id"]))["followers_count"] == 1


async def test_a_remote_follow_of_an_account_blocking_it_is_not_made(
    client: httpx.AsyncClient, register: Register, events: EventInjector
) -> None:
    ann = await register("ann")
    await events.publish(seen())
    blocked = await client.put(
        f"/v1/users/{HANDLE}/block", headers=identity_headers(ann["id"], "users")
    )
    assert blocked.status_code == 204

    await events.publish(followed(ann["id"]))

    assert (await profile_of(client, "ann", ann["id"]))["followers_count"] == 0


async def get_user(client: httpx.AsyncClient, handle: str, viewer_id: str) -> httpx.Response:
    return await client.get(f"/v1/users/{handle}", headers=identity_headers(viewer_id, "users"))


async def profile_of(client: httpx.AsyncClient, handle: str, viewer_id: str) -> dict[str, Any]:
    answer = await get_user(client, handle, viewer_id)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


# Local accounts finding and following remote ones


async def test_a_remote_handle_not_seen_yet_is_looked_up_and_answered_at_once(
    client: httpx.AsyncClient,
    register: Register,
    federation: FederationStandIn,
    event_recorder: EventRecorder,
) -> None:
    viewer = await register("viewer")
    federation.accounts[HANDLE] = seen()

    answer = await get_user(client, "@Ada@Social.Example", viewer["id"])

    assert answer.status_code == 200, answer.text
    assert answer.json()["handle"] == HANDLE
    assert answer.json()["domain"] == "social.example"
    _, registered = await event_recorder.wait_for("user.registered", count=2)
    assert registered.data["user_id"] == remote_user_id(ACTOR)


async def test_a_remote_handle_of_no_account_is_not_found(
    client: httpx.AsyncClient, register: Register
) -> None:
    viewer = await register("viewer")

    answer = await get_user(client, "nobody@social.example", viewer["id"])

    assert answer.status_code == 404


async def test_a_lookup_over_the_federation_services_limit_for_that_server_is_a_429(
    client: httpx.AsyncClient, register: Register, federation: FederationStandIn
) -> None:
    viewer = await register("viewer")
    federation.retry_after_seconds = 7

    answer = await get_user(client, HANDLE, viewer["id"])

    assert answer.status_code == 429
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "7"


async def test_a_local_user_follows_a_remote_account_by_handle_until_it_rejects(
    client: httpx.AsyncClient,
    register: Register,
    federation: FederationStandIn,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    ann = await register("ann")
    federation.accounts[HANDLE] = seen()

    answer = await client.put(
        f"/v1/users/{HANDLE}/follow", headers=identity_headers(ann["id"], "users")
    )

    assert answer.status_code == 204, answer.text
    assert (await profile_of(client, "ann", ann["id"]))["following_count"] == 1
    (follow,) = await event_recorder.wait_for("user.followed")
    assert follow.data["followee_id"] == remote_user_id(ACTOR)

    await events.publish(
        RemoteFollowRejected(
            activity_id="https://social.example/rejects/1",
            follower_id=ann["id"],
            followee_id=remote_user_id(ACTOR),
            rejected_at=SEEN_AT,
        )
    )

    assert (await profile_of(client, "ann", ann["id"]))["following_count"] == 0
    (unfollow,) = await event_recorder.wait_for("user.unfollowed")
    assert unfollow.data["followee_id"] == remote_user_id(ACTOR)


# Remote accounts invited to co-author


async def test_a_remote_account_may_be_invited_by_its_handle_unless_a_block_stands_between(
    client: httpx.AsyncClient, register: Register, events: EventInjector
) -> None:
    """Its consent is asked of it by its own server: no policy of ours answers for it."""
    inviter = await register("inviter")
    await events.publish(seen())

    def asked(handle: str) -> Awaitable[httpx.Response]:
        return client.post(
            "/internal/eligibility",
            headers=caller_headers("posts", "users"),
            json={"inviter_id": inviter["id"], "invitee_handles": [handle]},
        )

    [result] = (await asked(f"@{HANDLE.upper()}")).json()["results"]
    assert (result["eligible"], result["user_id"]) == (True, remote_user_id(ACTOR))
    blocked = await client.put(
        f"/v1/users/{HANDLE}/block", headers=identity_headers(inviter["id"], "users")
    )
    assert blocked.status_code in (200, 204), blocked.text
    [result] = (await asked(HANDLE)).json()["results"]
    assert (result["eligible"], result["reason"]) == (False, "blocked")


# A remote account's end or move, as its own server announced it


NEW_ACTOR = "https://other.example/users/ada"
NEW_HANDLE = "ada@other.example"


async def test_a_deleted_remote_account_goes_as_a_local_one_with_its_follows_both_ways(
    client: httpx.AsyncClient,
    register: Register,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    ann = await register("ann")
    await events.publish(seen(), followed(ann["id"]))
    answer = await client.put(
        f"/v1/users/{HANDLE}/follow", headers=identity_headers(ann["id"], "users")
    )
    assert answer.status_code == 204, answer.text

    await events.publish(
        RemoteAccountDeleted(
            activity_id=f"{ACTOR}#delete", user_id=remote_user_id(ACTOR), deleted_at=SEEN_AT
        )
    )

    (deleted,) = await event_recorder.wait_for("user.deleted")
    assert deleted.data["user_id"] == remote_user_id(ACTOR)
    assert (await get_user(client, HANDLE, ann["id"])).status_code == 404
    profile = await profile_of(client, "ann", ann["id"])
    assert (profile["followers_count"], profile["following_count"]) == (0, 0)


async def test_a_moved_remote_account_takes_its_local_followers_along(
    client: httpx.AsyncClient,
    register: Register,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    ann = await register("ann")
    new = seen().model_copy(
        update={"user_id": remote_user_id(NEW_ACTOR), "handle": NEW_HANDLE, "actor_url": NEW_ACTOR}
    )
    await events.publish(seen(), new)
    answer = await client.put(
        f"/v1/users/{HANDLE}/follow", headers=identity_headers(ann["id"], "users")
    )
    assert answer.status_code == 204, answer.text

    await events.publish(
        RemoteAccountMoved(
            activity_id=f"{ACTOR}#move",
            from_user_id=remote_user_id(ACTOR),
            to_user_id=remote_user_id(NEW_ACTOR),
            moved_at=SEEN_AT,
        )
    )

    _, follow = await event_recorder.wait_for("user.followed", count=2)
    assert follow.data["followee_id"] == remote_user_id(NEW_ACTOR)
    (unfollow,) = await event_recorder.wait_for("user.unfollowed")
    assert unfollow.data["followee_id"] == remote_user_id(ACTOR)
    assert (await remote_profile(client, ann["id"]))["followers_count"] == 0
    assert (await profile_of(client, NEW_HANDLE, ann["id"]))["followers_count"] == 1
