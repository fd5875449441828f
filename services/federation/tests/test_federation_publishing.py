"""Local posts to remote followers: one Create per server, credited to every author."""

import json
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from federation_support import DOMAIN, FederationHarness, RemotePeer, followed_by_peer, published

from federation.core.signatures import verify
from federation.publishing.repository import PUBLISHED_NOTES
from shared.clock import utc_now
from shared.events.posts import HandoverReason, PostHandedOver
from shared.testing import DIRECTORY_USERS, wait_until

ALICE, BOB, CAROL = DIRECTORY_USERS
MAX_AGE = timedelta(minutes=5)


async def public_key(federation: FederationHarness, handle: str) -> rsa.RSAPublicKey:
    pem = (await federation.get(f"/users/{handle}")).json()["publicKey"]["publicKeyPem"]
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return key


async def test_a_coauthored_post_reaches_a_server_following_both_authors_once(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice", "bob")

    await federation.events.publish(published("p1", ALICE.id, BOB.id))

    (create,) = await wait_until(lambda: peer.activities("Create") or None)
    actor = f"http://{DOMAIN}/users/alice"
    assert create["actor"] == actor
    note = create["object"]
    assert note["type"] == "Note"
    assert note["id"] == f"http://{DOMAIN}/posts/p1"
    assert note["attributedTo"] == [actor, f"http://{DOMAIN}/users/bob"]
    assert note["content"] == "<p>Hi &lt;you&gt;</p>"
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    delivered = next(r for r in peer.received if json.loads(r.body)["type"] == "Create")
    assert delivered.url == f"{peer.url}/inbox"
    verify(delivered, await public_key(federation, "alice"), now=utc_now(), max_age=MAX_AGE)
    sent = await federation.app.state.runtime.db[PUBLISHED_NOTES].find_one({"_id": "p1"})
    assert sent["inboxes"] == [f"{peer.url}/inbox"]


async def test_a_repeated_post_published_sends_nothing_more(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")
    event = published("p2", ALICE.id)

    await federation.events.publish(event)
    await federation.events.publish(event)

    await wait_until(lambda: peer.activities("Create") or None)
    notes = federation.app.state.runtime.db[PUBLISHED_NOTES]
    assert await notes.count_documents({"_id": "p2"}) == 1


async def test_a_post_nobody_remote_follows_is_sent_nowhere(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")

    await federation.events.publish(published("p3", CAROL.id))

    notes = federation.app.state.runtime.db[PUBLISHED_NOTES]
    assert (await notes.find_one({"_id": "p3"}))["inboxes"] == []
    assert peer.activities("Create") == []


def handed_over(post_id: str, reason: HandoverReason = "accepted") -> PostHandedOver:
    """Alice hands her post with bob over to him."""
    return PostHandedOver(
        post_id=post_id,
        from_author_id=ALICE.id,
        to_author_id=BOB.id,
        coauthor_ids=(ALICE.id,) if reason == "accepted" else (),
        reason=reason,
        handed_over_at=utc_now(),
    )


async def test_a_hand_over_is_an_update_of_the_note_sent_as_the_account_that_published_it(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "bob")
    await federation.events.publish(published("p1", ALICE.id, BOB.id))
    (create,) = await wait_until(lambda: peer.activities("Create") or None)

    event = handed_over("p1")
    await federation.events.publish(event, event)

    (update,) = await wait_until(lambda: peer.activities("Update") or None)
    alice, bob = f"http://{DOMAIN}/users/alice", f"http://{DOMAIN}/users/bob"
    # Receivers take an Update only from the account whose Create it was: alice's.
    assert update["actor"] == create["actor"] == alice
    assert update["object"]["attributedTo"] == [bob, alice]
    assert update["object"]["updated"] > create["object"]["published"]
    delivered = next(r for r in peer.received if json.loads(r.body)["type"] == "Update")
    verify(delivered, await public_key(federation, "alice"), now=utc_now(), max_age=MAX_AGE)
    served = (await federation.fetch(f"http://{DOMAIN}/posts/p1")).json()
    assert served["attributedTo"] == [bob, alice]
    outbox = (await federation.get("/users/bob/outbox")).json()
    assert outbox["totalItems"] == 1
    assert len(peer.activities("Update")) == 1


async def test_a_post_handed_over_as_its_author_left_credits_the_new_author_alone(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "bob")
    await federation.events.publish(published("p1", ALICE.id, BOB.id))
    await wait_until(lambda: peer.activities("Create") or None)

    await federation.events.publish(handed_over("p1", "account_deleted"))

    (update,) = await wait_until(lambda: peer.activities("Update") or None)
    assert update["object"]["attributedTo"] == [f"http://{DOMAIN}/users/bob"]
