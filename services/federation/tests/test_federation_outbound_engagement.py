"""Local engagement with remote posts goes to the posts' servers: a like as a signed Like, its
end as Undo(Like), a reply as the Create of a public Note in reply to the remote Note (served
at its own URL while it stands), its deletion as a Delete. Each once, with ids a receiver can
recognise; engagement with local posts, or by remote accounts, sends nothing."""

import json
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from federation_support import DOMAIN, PUBLISHED, FederationHarness, RemotePeer, alice_follows_peer
from test_federation_remote_posts import activity, note, send

from federation.core.signatures import verify
from shared.clock import utc_now
from shared.events.posts import PostCounts, PostLiked, PostReplied, PostReplyRemoved, PostUnliked
from shared.remote_accounts import remote_post_id, remote_user_id
from shared.testing import ALICE, BOB, EventRecorder, wait_until

COUNTS = PostCounts(like_count=1, reply_count=0, version=1)
ALICE_ACTOR = f"http://{DOMAIN}/users/alice"


async def remote_post(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> dict[str, Any]:
    """A Note of the peer's, taken in here as a post (alice follows the peer)."""
    await alice_follows_peer(federation, peer)
    posted = note(peer, "<p>Hello from afar</p>")
    await send(federation, peer, activity(peer, "Create", posted))
    await event_recorder.wait_for("federation.remote_post_received")
    return posted


def liked(post_id: str, author_id: str, seq: int, liker_id: str = ALICE) -> PostLiked:
    return PostLiked(
        post_id=post_id,
        liker_id=liker_id,
        author_ids=(author_id,),
        like_seq=seq,
        counts=COUNTS,
        liked_at=PUBLISHED,
    )


def replied(post_id: str, author_id: str, reply_id: str, replier_id: str = ALICE) -> PostReplied:
    return PostReplied(
        post_id=post_id,
        reply_id=reply_id,
        replier_id=replier_id,
        author_ids=(author_id,),
        counts=COUNTS,
        replied_at=PUBLISHED,
        reply_text="Nice <one>",
    )


async def verified_as_alice(federation: FederationHarness, peer: RemotePeer, kind: str) -> None:
    delivered = next(r for r in peer.received if json.loads(r.body)["type"] == kind)
    assert delivered.url == f"{peer.url}/inbox"  # the shared inbox
    pem = (await federation.get("/users/alice")).json()["publicKey"]["publicKeyPem"]
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    verify(delivered, key, now=utc_now(), max_age=timedelta(minutes=5))


async def test_a_like_of_a_remote_post_is_sent_once_and_its_undo_names_it(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    posted = await remote_post(federation, peer, event_recorder)
    post_id, author = remote_post_id(posted["id"]), remote_user_id(peer.actor_id)

    await federation.events.publish(liked(post_id, author, 1), liked(post_id, author, 1))

    (like,) = await wait_until(lambda: peer.activities("Like") or None)
    assert (like["actor"], like["object"]) == (ALICE_ACTOR, posted["id"])
    await verified_as_alice(federation, peer, "Like")

    unliked = PostUnliked(
        post_id=post_id,
        liker_id=ALICE,
        author_ids=(author,),
        like_seq=2,
        counts=COUNTS,
        unliked_at=PUBLISHED,
    )
    await federation.events.publish(unliked, unliked)
    (undo,) = await wait_until(lambda: peer.activities("Undo") or None)
    assert undo["actor"] == ALICE_ACTOR
    assert undo["object"]["id"] == like["id"]
    assert undo["object"]["type"] == "Like"

    # Liking again is a new Like, told by a new id.
    await federation.events.publish(liked(post_id, author, 3))
    again = await wait_until(lambda: peer.activities("Like")[1:] or None)
    assert again[0]["id"] != like["id"]
    assert len(peer.activities("Like")) == 2
    assert len(peer.activities("Undo")) == 1


async def test_a_reply_to_a_remote_post_is_a_public_note_in_reply_to_it_until_deleted(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    posted = await remote_post(federation, peer, event_recorder)
    post_id, author = remote_post_id(posted["id"]), remote_user_id(peer.actor_id)
    reply = replied(post_id, author, "r1")

    await federation.events.publish(reply, reply)

    (create,) = await wait_until(lambda: peer.activities("Create") or None)
    reply_note = create["object"]
    assert reply_note["id"] == f"http://{DOMAIN}/posts/r1"
    assert reply_note["attributedTo"] == ALICE_ACTOR
    assert reply_note["inReplyTo"] == posted["id"]
    assert reply_note["content"] == "<p>Nice &lt;one&gt;</p>"
    assert reply_note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert peer.actor_id in reply_note["cc"]
    await verified_as_alice(federation, peer, "Create")
    served = await federation.fetch(reply_note["id"])
    assert served.status_code == 200
    assert {k: v for k, v in served.json().items() if k != "@context"} == reply_note

    removed = PostReplyRemoved(
        post_id=post_id, reply_id="r1", replier_id=ALICE, counts=COUNTS, removed_at=PUBLISHED
    )
    await federation.events.publish(removed, removed)
    (delete,) = await wait_until(lambda: peer.activities("Delete") or None)
    assert delete["object"]["id"] == reply_note["id"]
    assert delete["object"]["type"] == "Tombstone"
    assert (await federation.fetch(reply_note["id"])).status_code == 404
    assert len(peer.activities("Create")) == 1


async def test_engagement_with_local_posts_or_by_remote_accounts_sends_nothing(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    posted = await remote_post(federation, peer, event_recorder)
    post_id, author = remote_post_id(posted["id"]), remote_user_id(peer.actor_id)

    await federation.events.publish(
        liked("local-post", BOB, 1),
        replied("local-post", BOB, "r2"),
        liked(post_id, author, 1, liker_id=author),
        # A post of a remote account nobody here took in: nothing to send it to.
        liked(remote_post_id("https://elsewhere.example/notes/1"), author, 1),
        liked(post_id, author, 1),
    )

    (like,) = await wait_until(lambda: peer.activities("Like") or None)
    assert like["actor"] == ALICE_ACTOR
    assert peer.activities("Create") == []
    assert (await federation.fetch(f"http://{DOMAIN}/posts/r2")).status_code == 404
