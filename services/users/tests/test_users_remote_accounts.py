"""Remote accounts: a remote actor the federation service saw is an account with a domain,
shown by `user@host`, announced like a local one (with its domain), never able to sign in;
newer sightings refresh it, older or repeated ones change nothing. Its follows of local
accounts are follows like any other."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.bus import EVENT_HANDLING
from shared.events.federation import (
    RemoteAccountDeleted,
    RemoteAccountMoved,
    RemoteFollowReceived,
    RemoteFollowRejected,
    RemoteUnfollowReceived,
)
from shared.testing import (
    EventInjector,
    EventRecorder,
    FederationStandIn,
    KnownUser,
    caller_headers,
    identity_headers,
    wait_until,
)
from users.remote.rules import remote_display_name

type Register = Callable[..., Awaitable[dict[str, Any]]]

SEEN_AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
ADA = KnownUser.remote("https://social.example/users/ada", "Ada L.", created_at=SEEN_AT)


async def remote_profile(client: httpx.AsyncClient, viewer_id: str) -> dict[str, Any]:
    return await profile_of(client, ADA.handle, viewer_id)


def test_a_remote_display_name_is_cut_to_the_local_length_or_falls_back_to_the_username() -> None:
    assert remote_display_name(replace(ADA, display_name="x" * 80).seen()) == "x" * 50
    assert remote_display_name(replace(ADA, display_name="\u200b").seen()) == "ada"


async def test_a_seen_actor_becomes_an_account_with_its_domain_announced_like_a_local_one(
    client: httpx.AsyncClient,
    register: Register,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    viewer = await register("viewer")
    picture = "https://social.example/ada.png"

    await events.publish(ADA.seen(avatar_url=picture))

    profile = await remote_profile(client, viewer["id"])
    assert profile["id"] == ADA.id
    assert profile["handle"] == ADA.handle
    assert profile["display_name"] == "Ada L."
    assert profile["domain"] == "social.example"
    assert profile["actor_url"] == ADA.actor_url
    assert profile["avatar"] == {"small": picture, "large": picture}
    assert profile["followers_count"] == 0
    local, remote = await event_recorder.wait_for("user.registered", count=2)
    assert local.data["domain"] is None
    assert remote.data["user_id"] == ADA.id
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
    await events.publish(ADA.seen())

    answer = await client.post("/v1/auth/token", json={"handle": ADA.handle, "password": ""})

    assert answer.status_code == 401


async def test_a_newer_sighting_refreshes_the_account_and_an_older_or_repeated_one_does_not(
    client: httpx.AsyncClient,
    register: Register,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    viewer = await register("viewer")
    await events.publish(ADA.seen())
    renamed = replace(ADA, display_name="Ada Lovelace").seen(SEEN_AT + timedelta(hours=1))

    await events.publish(renamed)
    (updated,) = await event_recorder.wait_for("user.updated")
    older = replace(ADA, display_name="Older").seen(SEEN_AT + timedelta(minutes=30))
    await events.publish(older, renamed)

    assert updated.data["display_name"] == "Ada Lovelace"
    assert updated.data["domain"] == "social.example"
    assert (await remote_profile(client, viewer["id"]))["display_name"] == "Ada Lovelace"


# Remote follows of local accounts


def followed(
    followee_id: str, activity: str = "https://social.example/follows/1"
) -> RemoteFollowReceived:
    return RemoteFollowReceived(
        activity_id=activity,
        follower_id=ADA.id,
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
    await events.publish(ADA.seen())

    await events.publish(followed(ann["id"]))

    assert (await profile_of(client, "ann", ann["id"]))["followers_count"] == 1
    assert (await remote_profile(client, ann["id"]))["relationship"]["followed_by"] is True
    (follow,) = await event_recorder.wait_for("user.followed")
    assert (follow.data["follower_id"], follow.data["followee_id"]) == (
        ADA.id,
        ann["id"],
    )

    await events.publish(
        RemoteUnfollowReceived(
            activity_id="https://social.example/undos/1",
            follower_id=ADA.id,
            followee_id=ann["id"],
            unfollowed_at=SEEN_AT,
        )
    )

    assert (await profile_of(client, "ann", ann["id"]))["followers_count"] == 0
    (unfollow,) = await event_recorder.wait_for("user.unfollowed")
    assert unfollow.data["follower_id"] == ADA.id


async def test_a_remote_follow_before_its_account_is_made_once_the_account_arrives(
    client: httpx.AsyncClient, register: Register, events: EventInjector
) -> None:
    ann = await register("ann")
    failures = failed_handlings("federation.remote_follow_received")

    early = asyncio.create_task(events.publish(followed(ann["id"])))
    await wait_until(
        lambda: failed_handlings("federation.remote_follow_received") > failures or None
    )
    await events.publish(ADA.seen())
    await early

    assert (await profile_of(client, "ann", ann["id"]))["followers_count"] == 1


async def test_a_remote_follow_of_an_account_blocking_it_is_not_made(
    client: httpx.AsyncClient, register: Register, events: EventInjector
) -> None:
    ann = await register("ann")
    await events.publish(ADA.seen())
    blocked = await client.put(
        f"/v1/users/{ADA.handle}/block", headers=identity_headers(ann["id"], "users")
    )
    assert blocked.status_code == 204

    await events.publish(followed(ann["id"]))

    assert (await profile_of(client, "ann", ann["id"]))["followers_count"] == 0


async def get_user(client: httpx.AsyncClient, handle: str, viewer_id: str) -> httpx.Response:
    return await client.get(f"/v1/users/{handle}", headers=identity_headers(viewer_id, "users"))


async def follow_ada(client: httpx.AsyncClient, follower_id: str) -> None:
    answer = await client.put(
        f"/v1/users/{ADA.handle}/follow", headers=identity_headers(follower_id, "users")
    )
    assert answer.status_code == 204, answer.text


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
    federation.accounts[ADA.handle] = ADA.seen()

    answer = await get_user(client, "@Ada@Social.Example", viewer["id"])

    assert answer.status_code == 200, answer.text
    assert answer.json()["handle"] == ADA.handle
    assert answer.json()["domain"] == "social.example"
    _, registered = await event_recorder.wait_for("user.registered", count=2)
    assert registered.data["user_id"] == ADA.id


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

    answer = await get_user(client, ADA.handle, viewer["id"])

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
    federation.accounts[ADA.handle] = ADA.seen()

    await follow_ada(client, ann["id"])

    assert (await profile_of(client, "ann", ann["id"]))["following_count"] == 1
    (follow,) = await event_recorder.wait_for("user.followed")
    assert follow.data["followee_id"] == ADA.id

    await events.publish(
        RemoteFollowRejected(
            activity_id="https://social.example/rejects/1",
            follower_id=ann["id"],
            followee_id=ADA.id,
            rejected_at=SEEN_AT,
        )
    )

    assert (await profile_of(client, "ann", ann["id"]))["following_count"] == 0
    (unfollow,) = await event_recorder.wait_for("user.unfollowed")
    assert unfollow.data["followee_id"] == ADA.id


# Remote accounts invited to co-author


async def test_a_remote_account_may_be_invited_by_its_handle_unless_a_block_stands_between(
    client: httpx.AsyncClient, register: Register, events: EventInjector
) -> None:
    """Its consent is asked of it by its own server: no policy of ours answers for it."""
    inviter = await register("inviter")
    await events.publish(ADA.seen())

    def asked(handle: str) -> Awaitable[httpx.Response]:
        return client.post(
            "/internal/eligibility",
            headers=caller_headers("posts", "users"),
            json={"inviter_id": inviter["id"], "invitee_handles": [handle]},
        )

    [result] = (await asked(f"@{ADA.handle.upper()}")).json()["results"]
    assert (result["eligible"], result["user_id"]) == (True, ADA.id)
    blocked = await client.put(
        f"/v1/users/{ADA.handle}/block", headers=identity_headers(inviter["id"], "users")
    )
    assert blocked.status_code in (200, 204), blocked.text
    [result] = (await asked(ADA.handle)).json()["results"]
    assert (result["eligible"], result["reason"]) == (False, "blocked")


# A remote account's end or move, as its own server announced it


MOVED_ADA = KnownUser.remote("https://other.example/users/ada", "Ada L.", created_at=SEEN_AT)


async def test_a_deleted_remote_account_goes_as_a_local_one_with_its_follows_both_ways(
    client: httpx.AsyncClient,
    register: Register,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    ann = await register("ann")
    await events.publish(ADA.seen(), followed(ann["id"]))
    await follow_ada(client, ann["id"])

    await events.publish(
        RemoteAccountDeleted(
            activity_id=f"{ADA.actor_url}#delete", user_id=ADA.id, deleted_at=SEEN_AT
        )
    )

    (deleted,) = await event_recorder.wait_for("user.deleted")
    assert deleted.data["user_id"] == ADA.id
    assert (await get_user(client, ADA.handle, ann["id"])).status_code == 404
    profile = await profile_of(client, "ann", ann["id"])
    assert (profile["followers_count"], profile["following_count"]) == (0, 0)


async def test_a_moved_remote_account_takes_its_local_followers_along(
    client: httpx.AsyncClient,
    register: Register,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    ann = await register("ann")
    await events.publish(ADA.seen(), MOVED_ADA.seen())
    await follow_ada(client, ann["id"])

    await events.publish(
        RemoteAccountMoved(
            activity_id=f"{ADA.actor_url}#move",
            from_user_id=ADA.id,
            to_user_id=MOVED_ADA.id,
            moved_at=SEEN_AT,
        )
    )

    _, follow = await event_recorder.wait_for("user.followed", count=2)
    assert follow.data["followee_id"] == MOVED_ADA.id
    (unfollow,) = await event_recorder.wait_for("user.unfollowed")
    assert unfollow.data["followee_id"] == ADA.id
    assert (await remote_profile(client, ann["id"]))["followers_count"] == 0
    assert (await profile_of(client, MOVED_ADA.handle, ann["id"]))["followers_count"] == 1
