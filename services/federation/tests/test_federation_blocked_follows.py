"""A remote account that a local user blocks cannot follow them: blocks are the users
service's, learned here as facts (`user.blocked`/`user.unblocked`), and the answer its server
gets is a Reject, never an Accept."""

from federation_support import DOMAIN, FederationHarness, RemotePeer, followed_by_peer

from shared.clock import utc_now
from shared.events.users import UserBlocked, UserUnblocked
from shared.remote_accounts import remote_user_id
from shared.testing import ALICE, EventRecorder, wait_until


def blocked(peer: RemotePeer) -> UserBlocked:
    return UserBlocked(
        blocker_id=ALICE, blocked_id=remote_user_id(peer.actor_id), blocked_at=utc_now()
    )


async def total_followers(federation: FederationHarness) -> int:
    answer = await federation.get("/users/alice/followers")
    return answer.json()["totalItems"]  # type: ignore[no-any-return]


async def test_a_follow_from_a_blocked_account_is_rejected_and_not_told_to_the_users_service(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    await federation.events.publish(blocked(peer))
    follow = peer.follow("alice")

    answer = await federation.post_signed("/inbox", follow, peer)

    assert answer.status_code == 202
    (reject,) = await wait_until(lambda: peer.activities("Reject") or None)
    assert reject["actor"] == f"http://{DOMAIN}/users/alice"
    assert reject["object"]["id"] == follow["id"]
    assert reject["object"]["actor"] == peer.actor_id
    assert peer.accepts() == []
    assert await total_followers(federation) == 0
    assert event_recorder.of_type("federation.remote_follow_received") == []


async def test_after_an_unblock_the_account_may_follow_again(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await federation.events.publish(blocked(peer))
    unblock = UserUnblocked(
        blocker_id=ALICE, blocked_id=remote_user_id(peer.actor_id), unblocked_at=utc_now()
    )
    await federation.events.publish(unblock)

    await followed_by_peer(federation, peer, "alice")

    assert await total_followers(federation) == 1


async def test_a_block_known_after_the_follow_was_accepted_here_rejects_it(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")

    # The users service never made it a follow (the block came first there): no
    # user.unfollowed follows, the block alone ends it.
    await federation.events.publish(blocked(peer))

    (reject,) = await wait_until(lambda: peer.activities("Reject") or None)
    assert reject["object"]["actor"] == peer.actor_id
    assert await total_followers(federation) == 0
