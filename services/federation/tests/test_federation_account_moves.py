"""A remote account's end or move, told by its own actor: a Delete of the actor itself, and a
Move to a new actor that names the old one in its `alsoKnownAs` (checked before anything
moves)."""

from datetime import timedelta

from federation_support import (
    PUBLISHED,
    FederationHarness,
    RemotePeer,
    followed_by_peer,
)

from federation.core.remote import REMOTE_ACTORS
from shared.remote_accounts import remote_user_id
from shared.testing import EventRecorder, served_over_http

# Beyond REMOTE_KEY_CACHE_SECONDS: the kept key is stale, its actor fetched again.
LONG_AGO = PUBLISHED - timedelta(days=30)


async def total_followers(federation: FederationHarness) -> int:
    answer = await federation.get("/users/alice/followers")
    return answer.json()["totalItems"]  # type: ignore[no-any-return]


def actor_delete(peer: RemotePeer, object_id: str) -> dict[str, object]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.actor_id}#delete",
        "type": "Delete",
        "actor": peer.actor_id,
        "object": object_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }


def move(peer: RemotePeer, target: str) -> dict[str, object]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.actor_id}#moves/1",
        "type": "Move",
        "actor": peer.actor_id,
        "object": peer.actor_id,
        "target": target,
    }


async def test_an_actor_deleting_itself_is_announced_and_its_follows_end(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    await followed_by_peer(federation, peer, "alice")

    answer = await federation.post_signed("/inbox", actor_delete(peer, peer.actor_id), peer)

    assert answer.status_code == 202, answer.text
    (deleted,) = await event_recorder.wait_for("federation.remote_account_deleted")
    assert deleted.data["user_id"] == remote_user_id(peer.actor_id)
    assert await total_followers(federation) == 0


async def test_a_delete_of_itself_long_after_its_key_was_fetched_verifies_with_the_kept_key(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    await followed_by_peer(federation, peer, "alice")
    actors = federation.app.state.runtime.db[REMOTE_ACTORS]
    await actors.update_one({"_id": peer.actor_id}, {"$set": {"fetched_at": LONG_AGO}})
    peer.gone = True

    answer = await federation.post_signed("/inbox", actor_delete(peer, peer.actor_id), peer)

    assert answer.status_code == 202, answer.text
    (deleted,) = await event_recorder.wait_for("federation.remote_account_deleted")
    assert deleted.data["user_id"] == remote_user_id(peer.actor_id)


async def test_a_gone_actor_can_sign_nothing_but_its_own_delete(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")
    actors = federation.app.state.runtime.db[REMOTE_ACTORS]
    await actors.update_one({"_id": peer.actor_id}, {"$set": {"fetched_at": LONG_AGO}})
    peer.gone = True

    answer = await federation.post_signed("/inbox", peer.follow("bob"), peer)

    assert answer.status_code == 401


async def test_a_delete_of_another_actor_deletes_nothing(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    await followed_by_peer(federation, peer, "alice")

    someone_else = "https://elsewhere.example/users/bob"
    answer = await federation.post_signed("/inbox", actor_delete(peer, someone_else), peer)

    assert answer.status_code == 202
    assert await total_followers(federation) == 1
    assert event_recorder.of_type("federation.remote_account_deleted") == []


async def test_a_move_confirmed_by_its_target_is_announced(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    new = RemotePeer(also_known_as=[peer.actor_id])
    async with served_over_http(new.app()) as url:
        new.url = url
        answer = await federation.post_signed("/inbox", move(peer, new.actor_id), peer)

        assert answer.status_code == 202, answer.text
        (moved,) = await event_recorder.wait_for("federation.remote_account_moved")
    assert moved.data["from_user_id"] == remote_user_id(peer.actor_id)
    assert moved.data["to_user_id"] == remote_user_id(new.actor_id)
    seen = [e.data["actor_url"] for e in event_recorder.of_type("federation.remote_account_seen")]
    assert new.actor_id in seen


async def test_a_move_its_target_does_not_confirm_is_refused(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    new = RemotePeer()
    async with served_over_http(new.app()) as url:
        new.url = url
        answer = await federation.post_signed("/inbox", move(peer, new.actor_id), peer)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert event_recorder.of_type("federation.remote_account_moved") == []
