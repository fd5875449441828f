"""Local posts to remote followers: one Create per server, credited to every author."""

import json
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from federation_support import DOMAIN, FederationHarness, RemotePeer, followed_by_peer, published

from federation.core.signatures import verify
from federation.publishing.repository import PUBLISHED_NOTES
from shared.clock import utc_now
from shared.testing import DIRECTORY_USERS, wait_until

ALICE, BOB, CAROL = DIRECTORY_USERS


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
    pem = (await federation.get("/users/alice")).json()["publicKey"]["publicKeyPem"]
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    verify(delivered, key, now=utc_now(), max_age=timedelta(minutes=5))
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
