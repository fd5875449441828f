"""A post's media on the wire: its Note carries each medium as an attachment (its public URL,
its alt text as `name`), in the Create, the Note served at its URL, and the Update of an edit
that changes them or of a newer alt text."""

from datetime import timedelta

from federation_support import (
    DOMAIN,
    PUBLISHED,
    FederationHarness,
    RemotePeer,
    followed_by_peer,
    published,
)

from shared.events.media import MediaAltTextChanged
from shared.events.posts import PostEdited
from shared.public_media import AttachedMedia
from shared.testing import DIRECTORY_USERS, wait_until

ALICE = DIRECTORY_USERS[0]
PICTURE = AttachedMedia(
    id="m1",
    kind="image",
    alt_text="A harbour at dusk.",
    width=1600,
    height=1067,
    variants=("small", "large", "original"),
)
VIDEO = AttachedMedia(id="m2", kind="video", variants=("video", "poster"))


async def test_a_posts_media_go_out_as_attachments_with_their_alt_text(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")
    post = published("p1", ALICE.id).model_copy(update={"media": (PICTURE, VIDEO)})

    await federation.events.publish(post)

    (create,) = await wait_until(lambda: peer.activities("Create") or None)
    assert create["object"]["attachment"] == [
        {
            "type": "Document",
            "url": f"http://{DOMAIN}/media/m1/large",
            "name": "A harbour at dusk.",
            "width": 1600,
            "height": 1067,
        },
        {"type": "Document", "url": f"http://{DOMAIN}/media/m2/video", "mediaType": "video/mp4"},
    ]
    served = (await federation.fetch(f"http://{DOMAIN}/posts/p1")).json()
    assert served["attachment"] == create["object"]["attachment"]


async def test_an_edit_that_changes_the_media_sends_them_in_its_update(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")
    await federation.events.publish(
        published("p2", ALICE.id).model_copy(update={"media": (PICTURE,)})
    )
    described = PICTURE.model_copy(
        update={"alt_text": "The harbour, later.", "alt_text_version": 2}
    )

    await federation.events.publish(
        PostEdited(
            post_id="p2",
            edit_id="p2-e2",
            proposer_id=ALICE.id,
            author_id=ALICE.id,
            coauthor_ids=(),
            text="Hi <you>",
            media=(described,),
            version=2,
            edited_at=PUBLISHED + timedelta(minutes=2),
        )
    )

    (update,) = await wait_until(lambda: peer.activities("Update") or None)
    assert [a["name"] for a in update["object"]["attachment"]] == ["The harbour, later."]


async def test_a_newer_alt_text_sends_an_update_and_an_older_one_changes_nothing(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    await followed_by_peer(federation, peer, "alice")
    await federation.events.publish(
        published("p3", ALICE.id).model_copy(update={"media": (PICTURE,)})
    )
    await wait_until(lambda: peer.activities("Create") or None)

    def described(text: str, version: int) -> MediaAltTextChanged:
        medium = PICTURE.model_copy(update={"alt_text": text, "alt_text_version": version})
        return MediaAltTextChanged(
            media_id="m1",
            owner_id=ALICE.id,
            post_id="p3",
            medium=medium,
            changed_at=PUBLISHED + timedelta(minutes=version),
        )

    await federation.events.publish(described("Boats at dusk.", 3))
    await federation.events.publish(described("Older.", 2))

    (update,) = await wait_until(lambda: peer.activities("Update") or None)
    assert update["object"]["attachment"][0]["name"] == "Boats at dusk."
    assert update["object"]["updated"].startswith("2026-12-06T12:03")
    served = (await federation.fetch(f"http://{DOMAIN}/posts/p3")).json()
    assert served["attachment"][0]["name"] == "Boats at dusk."
