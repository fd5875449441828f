"""Local users and remote accounts: one looked up by `user@host` (WebFinger, then its actor),
followed with a signed Follow once the users service says so, its Accept recorded, its Reject
or Undo of the Accept told back, and an unfollow sent as Undo(Follow)."""

from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from federation_support import (
    DOMAIN,
    FederationHarness,
    RemotePeer,
    StartFederation,
    alice_followed,
    alice_follows_peer,
    look_up,
)

from federation.core.signatures import verify
from federation.followees.repository import REMOTE_FOLLOWEES
from federation.followees.rules import answered_follow_id
from shared.clock import utc_now
from shared.events.users import UserUnfollowed
from shared.remote_accounts import remote_user_id
from shared.testing import ALICE, EventRecorder, wait_until


def test_an_answer_names_the_follow_it_answers_by_id_or_embedded() -> None:
    assert answered_follow_id({"type": "Accept", "object": "f1"}) == "f1"
    assert answered_follow_id({"type": "Reject", "object": {"id": "f1", "type": "Follow"}}) == "f1"
    undo = {"type": "Undo", "object": {"type": "Accept", "object": {"id": "f1"}}}
    assert answered_follow_id(undo) == "f1"
    assert answered_follow_id({"type": "Undo", "object": {"type": "Like", "object": "f1"}}) is None


async def test_a_remote_account_is_looked_up_by_its_handle_and_announced(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    account = await look_up(federation, f"@{peer.handle.upper()}")

    assert account is not None
    assert account["user_id"] == remote_user_id(peer.actor_id)
    assert account["handle"] == peer.handle
    assert account["actor_url"] == peer.actor_id
    (seen,) = await event_recorder.wait_for("federation.remote_account_seen")
    assert seen.data["user_id"] == account["user_id"]


async def test_a_handle_of_no_account_a_local_one_or_a_blocked_domain_finds_none(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    async with start_federation(federation_blocked_domains=["blocked.example"]) as federation:
        assert await look_up(federation, f"nobody@{peer.host}") is None
        assert await look_up(federation, f"alice@{DOMAIN}") is None
        assert await look_up(federation, "ada@blocked.example") is None
        assert await look_up(federation, "not a handle") is None
    async with start_federation(federation_domain="") as federation:
        assert await look_up(federation, peer.handle) is None


async def test_a_follow_is_sent_signed_and_its_accept_recorded(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    follow = await alice_follows_peer(federation, peer)

    assert follow["actor"] == f"http://{DOMAIN}/users/alice"
    assert follow["object"] == peer.actor_id
    delivered = peer.received[-1]
    assert delivered.url == f"{peer.actor_id}/inbox"
    alice = (await federation.get("/users/alice")).json()["publicKey"]["publicKeyPem"]
    verify(delivered, _rsa(alice), now=utc_now(), max_age=timedelta(minutes=5))

    accept = peer.answer("Accept", follow)
    assert (await federation.post_signed("/inbox", accept, peer)).status_code == 202

    stored = federation.app.state.runtime.db[REMOTE_FOLLOWEES]
    await wait_until(lambda: stored.find_one({"follow_id": follow["id"], "state": "accepted"}))


async def test_a_reject_is_told_to_the_users_service_and_sends_no_undo_after(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    follow = await alice_follows_peer(federation, peer)

    reject = peer.answer("Reject", follow)
    assert (await federation.post_signed("/inbox", reject, peer)).status_code == 202

    (rejected,) = await event_recorder.wait_for("federation.remote_follow_rejected")
    assert rejected.data["activity_id"] == reject["id"]
    assert rejected.data["follower_id"] == ALICE
    assert rejected.data["followee_id"] == remote_user_id(peer.actor_id)
    # The users service then ends the follow; nothing is left to undo.
    await federation.events.publish(_unfollowed(peer))
    await federation.events.publish(alice_followed(peer))
    await wait_until(lambda: len(peer.activities("Follow")) == 2 or None)
    assert peer.activities("Undo") == []


async def test_an_undo_of_the_accept_ends_the_follow_too(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    follow = await alice_follows_peer(federation, peer)
    accept = peer.answer("Accept", follow)
    assert (await federation.post_signed("/inbox", accept, peer)).status_code == 202

    undo = peer.undo(accept)
    assert (await federation.post_signed("/inbox", undo, peer)).status_code == 202

    (rejected,) = await event_recorder.wait_for("federation.remote_follow_rejected")
    assert rejected.data["activity_id"] == undo["id"]


async def test_an_unfollow_sends_undo_of_the_follow(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    follow = await alice_follows_peer(federation, peer)

    await federation.events.publish(_unfollowed(peer))

    (undo,) = await wait_until(lambda: peer.activities("Undo") or None)
    assert undo["actor"] == f"http://{DOMAIN}/users/alice"
    assert undo["object"]["id"] == follow["id"]
    assert undo["object"]["type"] == "Follow"


def _unfollowed(peer: RemotePeer) -> UserUnfollowed:
    return UserUnfollowed(
        follower_id=ALICE, followee_id=remote_user_id(peer.actor_id), unfollowed_at=utc_now()
    )


def _rsa(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return key
