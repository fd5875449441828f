"""Co-authorship on the wire: a co-authored post's Note, each co-author's consent stamp, and
the Update or Delete remote servers get when a co-author leaves, an edit applies or the post
is deleted — each once, however often the posts service's events arrive."""

from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from federation_support import (
    DOMAIN,
    PUBLISHED,
    FederationHarness,
    RemotePeer,
    followed_by_peer,
    published,
)

from federation.core.signatures import verify
from federation.publishing.repository import PUBLISHED_NOTES
from shared.clock import utc_now
from shared.events.posts import PostCoauthorRemoved, PostDeleted, PostEdited
from shared.testing import DIRECTORY_USERS, wait_until

ALICE, BOB, CAROL = DIRECTORY_USERS
ALICE_ACTOR = f"http://{DOMAIN}/users/alice"
BOB_ACTOR = f"http://{DOMAIN}/users/bob"
CAROL_ACTOR = f"http://{DOMAIN}/users/carol"


def left(post_id: str, coauthor_id: str, minutes: int = 5) -> PostCoauthorRemoved:
    return PostCoauthorRemoved(
        post_id=post_id,
        author_id=ALICE.id,
        coauthor_id=coauthor_id,
        reason="left",
        removed_at=PUBLISHED + timedelta(minutes=minutes),
    )


async def checked_consent(federation: FederationHarness, note: dict[str, Any]) -> list[Any]:
    """What a receiving server does: fetch each co-author's stamp the Note links to and check
    it names that Note and is attributed to one of the Note's co-authors."""
    stamps = []
    for link in note["coauthorAuthorization"]:
        answer = await federation.fetch(link)
        assert answer.status_code == 200
        stamp = answer.json()
        assert stamp["id"] == link
        assert stamp["type"] == "CoauthorAuthorization"
        assert stamp["interactingObject"] == note["id"]
        assert stamp["attributedTo"] in note["attributedTo"][1:]
        assert stamp["interactionTarget"] == stamp["attributedTo"]
        stamps.append(stamp)
    return stamps


async def signed_by_alice(federation: FederationHarness, peer: RemotePeer, kind: str) -> None:
    pem = (await federation.get("/users/alice")).json()["publicKey"]["publicKeyPem"]
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    (request,) = [r for r in peer.received if f'"type": "{kind}"' in r.body.decode()]
    verify(request, key, now=utc_now(), max_age=timedelta(minutes=5))


async def test_the_note_is_the_one_the_create_carried_and_each_stamp_checks_out(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")

    await federation.events.publish(
        published("c1", ALICE.id, BOB.id, CAROL.id, credits={BOB.id: "photo"})
    )

    (create,) = await wait_until(lambda: peer.activities("Create") or None)
    fetched = await federation.fetch(create["object"]["id"])
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "application/activity+json"
    note = fetched.json()
    assert {k: v for k, v in note.items() if k != "@context"} == create["object"]
    assert note["attributedTo"] == [ALICE_ACTOR, BOB_ACTOR, CAROL_ACTOR]
    assert note["coauthorAuthorization"] == [
        f"{BOB_ACTOR}/coauthorizations/c1",
        f"{CAROL_ACTOR}/coauthorizations/c1",
    ]
    bob, carol = await checked_consent(federation, note)
    assert bob["credit"] == {"type": "Role", "roleName": "photo"}
    assert "credit" not in carol


async def test_a_coauthor_leaving_sends_an_update_without_them_and_their_stamp_is_gone(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "bob")
    await federation.events.publish(published("c2", ALICE.id, BOB.id, CAROL.id))
    (create,) = await wait_until(lambda: peer.activities("Create") or None)

    await federation.events.publish(left("c2", BOB.id))

    (update,) = await wait_until(lambda: peer.activities("Update") or None)
    assert update["actor"] == ALICE_ACTOR
    assert update["object"]["id"] == create["object"]["id"]
    assert update["object"]["attributedTo"] == [ALICE_ACTOR, CAROL_ACTOR]
    # Mastodon applies an Update only when the Note's `updated` moved on.
    assert update["object"]["updated"] == "2026-12-06T12:05:00Z"
    # Bob's followers' server gets it though Bob is credited no more: it has the copy.
    assert peer.received[-1].url == f"{peer.url}/inbox"
    await signed_by_alice(federation, peer, "Update")
    stamp = await federation.fetch(f"{BOB_ACTOR}/coauthorizations/c2")
    assert stamp.status_code == 410
    assert stamp.json()["type"] == "Tombstone"
    assert stamp.json()["formerType"] == "CoauthorAuthorization"
    note = (await federation.fetch(create["object"]["id"])).json()
    assert note["attributedTo"] == [ALICE_ACTOR, CAROL_ACTOR]
    await checked_consent(federation, note)


async def test_a_repeated_or_late_event_sends_nothing_more(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")
    await federation.events.publish(published("c3", ALICE.id, BOB.id))
    (removal,) = await federation.events.publish(left("c3", BOB.id))
    await wait_until(lambda: peer.activities("Update") or None)
    notes = federation.app.state.runtime.db[PUBLISHED_NOTES]
    revision = (await notes.find_one({"_id": "c3"}))["revision"]

    # The same event redelivered, a second copy of it, and the publication arriving again.
    await federation.events.deliver(removal)
    await federation.events.publish(left("c3", BOB.id), published("c3", ALICE.id, BOB.id))

    assert (await notes.find_one({"_id": "c3"}))["revision"] == revision
    await federation.events.publish(deleted("c3"))
    await wait_until(lambda: peer.activities("Delete") or None)
    assert len(peer.activities("Update")) == 1
    assert len(peer.activities("Create")) == 1


async def test_a_removal_before_the_publication_leaves_the_coauthor_out_of_the_create(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")

    await federation.events.publish(left("c4", BOB.id), published("c4", ALICE.id, BOB.id))

    (create,) = await wait_until(lambda: peer.activities("Create") or None)
    assert create["object"]["attributedTo"] == [ALICE_ACTOR]
    assert (await federation.fetch(f"{BOB_ACTOR}/coauthorizations/c4")).status_code == 410


async def test_an_applied_edit_sends_an_update_with_the_new_text(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")
    await federation.events.publish(published("c5", ALICE.id, BOB.id))

    await federation.events.publish(edited("c5", version=2, text="Better"))
    await federation.events.publish(edited("c5", version=2, text="Better"))

    (update,) = await wait_until(lambda: peer.activities("Update") or None)
    assert update["object"]["content"] == "<p>Better</p>"
    assert update["object"]["attributedTo"] == [ALICE_ACTOR, BOB_ACTOR]
    assert "updated" in update["object"]


async def test_a_deleted_post_sends_a_delete_and_its_note_and_stamps_are_gone(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")
    await federation.events.publish(published("c6", ALICE.id, BOB.id))
    await wait_until(lambda: peer.activities("Create") or None)

    await federation.events.publish(deleted("c6"), deleted("c6"))

    (delete,) = await wait_until(lambda: peer.activities("Delete") or None)
    assert delete["actor"] == ALICE_ACTOR
    assert delete["object"]["type"] == "Tombstone"
    assert delete["object"]["id"] == f"http://{DOMAIN}/posts/c6"
    await signed_by_alice(federation, peer, "Delete")
    assert (await federation.fetch(f"http://{DOMAIN}/posts/c6")).status_code == 404
    assert (await federation.fetch(f"{BOB_ACTOR}/coauthorizations/c6")).status_code == 410


async def test_what_was_never_published_here_is_not_found(
    federation: FederationHarness,
) -> None:
    await federation.events.publish(published("c7", ALICE.id, BOB.id))

    for url in (
        f"http://{DOMAIN}/posts/unknown",
        f"{CAROL_ACTOR}/coauthorizations/c7",
        f"{ALICE_ACTOR}/coauthorizations/c7",
        f"http://{DOMAIN}/users/nobody/coauthorizations/c7",
    ):
        answer = await federation.fetch(url)
        assert answer.status_code == 404, url
        assert answer.headers["content-type"] == "application/problem+json"


async def test_off_the_fediverse_notes_and_stamps_are_not_there(start_federation: Any) -> None:
    async with start_federation(federation_domain="") as federation:
        await federation.events.publish(published("c8", ALICE.id, BOB.id))

        assert (await federation.get("/posts/c8")).status_code == 404
        assert (await federation.get("/users/bob/coauthorizations/c8")).status_code == 404


def edited(post_id: str, *, version: int, text: str) -> PostEdited:
    return PostEdited(
        post_id=post_id,
        edit_id=f"{post_id}-e{version}",
        proposer_id=BOB.id,
        author_id=ALICE.id,
        coauthor_ids=(BOB.id,),
        text=text,
        version=version,
        edited_at=PUBLISHED + timedelta(minutes=version),
    )


def deleted(post_id: str) -> PostDeleted:
    return PostDeleted(
        post_id=post_id,
        author_id=ALICE.id,
        coauthor_ids=(BOB.id,),
        deleted_at=PUBLISHED + timedelta(hours=1),
    )
