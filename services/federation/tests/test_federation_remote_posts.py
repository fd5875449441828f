"""Remote posts taken in: a Note created by an account local users follow (or addressed to one
of them) is told to the posts service once, its text freed of markup; a newer Update and a
Delete by its author follow; what nobody here asked for, and replies, are left alone."""

import uuid
from typing import Any

from federation_support import DOMAIN, FederationHarness, RemotePeer, alice_follows_peer

from federation.core.notes import text_of
from federation.remote_posts.rules import attachments_of, created_note, summary_of
from shared.events.federation import RemoteAttachment
from shared.remote_accounts import remote_post_id, remote_user_id
from shared.testing import EventRecorder

RECEIVED = "federation.remote_post_received"


def note(peer: RemotePeer, content: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"{peer.url}/notes/{uuid.uuid4()}",
        "type": "Note",
        "attributedTo": peer.actor_id,
        "content": content,
        "published": "2026-12-07T03:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        **fields,
    }


def activity(peer: RemotePeer, kind: str, obj: Any) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.url}/activities/{uuid.uuid4()}",
        "type": kind,
        "actor": peer.actor_id,
        "object": obj,
    }


async def send(federation: FederationHarness, peer: RemotePeer, item: dict[str, Any]) -> None:
    assert (await federation.post_signed("/inbox", item, peer)).status_code == 202


def test_html_is_reduced_to_the_text_it_shows() -> None:
    html = (
        '<p>Hi <a href="https://x/@a" class="mention">@<span>a</span></a> &amp; all</p>'
        "<p>line one<br>line two</p><script>alert(1)</script><style>p{}</style>"
        "<p>&lt;b&gt;not bold&lt;/b&gt;</p>"
    )

    assert text_of(html) == "Hi @a & all\n\nline one\nline two\n\n<b>not bold</b>"
    assert text_of(None) == ""


def test_only_a_public_note_is_a_post() -> None:
    peer_actor = "https://remote.example/users/zoe"
    public = {
        "id": "https://remote.example/notes/1",
        "type": "Note",
        "attributedTo": peer_actor,
        "content": "<p>hi</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    direct = public | {"to": ["https://copost.test/users/alice"]}
    followers_only = public | {"to": ["https://remote.example/users/zoe/followers"]}

    def create(note: dict[str, Any]) -> dict[str, Any]:
        return {"type": "Create", "actor": peer_actor, "object": note}

    assert created_note(create(public)) == public
    assert created_note(create(direct)) is None
    assert created_note(create(followers_only)) is None


async def test_a_followed_accounts_note_is_told_once_then_its_edit_and_deletion(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    await alice_follows_peer(federation, peer)
    posted = note(peer, "<p>Hello <b>there</b></p>", url=f"{peer.url}/@remote/1")
    create = activity(peer, "Create", posted)

    await send(federation, peer, create)
    await send(federation, peer, activity(peer, "Create", posted))

    (received,) = await event_recorder.wait_for(RECEIVED)
    assert received.data["activity_id"] == create["id"]
    assert received.data["post_id"] == remote_post_id(posted["id"])
    assert received.data["author_id"] == remote_user_id(peer.actor_id)
    assert received.data["text"] == "Hello there"
    assert received.data["url"] == f"{peer.url}/@remote/1"

    stale = {**posted, "content": "stale", "updated": "2026-12-07T02:00:00Z"}
    newer = {**posted, "content": "<p>Edited</p>", "updated": "2026-12-07T04:00:00Z"}
    await send(federation, peer, activity(peer, "Update", stale))
    await send(federation, peer, activity(peer, "Update", newer))
    (edited,) = await event_recorder.wait_for("federation.remote_post_edited")
    assert edited.data["text"] == "Edited"

    await send(
        federation, peer, activity(peer, "Delete", {"id": posted["id"], "type": "Tombstone"})
    )
    (deleted,) = await event_recorder.wait_for("federation.remote_post_deleted")
    assert deleted.data["post_id"] == remote_post_id(posted["id"])
    assert len(event_recorder.of_type(RECEIVED)) == 1
    assert len(event_recorder.of_type("federation.remote_post_edited")) == 1


async def test_only_notes_someone_here_asked_for_are_taken_and_no_replies(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    unasked = note(peer, "nobody follows me")
    reply = note(peer, "a reply", cc=[f"http://{DOMAIN}/users/alice"], inReplyTo="https://x/1")
    mention = note(peer, "hi @alice", cc=[f"http://{DOMAIN}/users/alice"])

    for posted in (unasked, reply, mention):
        await send(federation, peer, activity(peer, "Create", posted))

    (received,) = await event_recorder.wait_for(RECEIVED)
    assert received.data["note_id"] == mention["id"]
    assert len(event_recorder.of_type(RECEIVED)) == 1


def test_a_notes_content_warning_and_media_are_read_with_their_alt_text() -> None:
    posted = {
        "summary": "<p>Spoilers &amp; such</p>",
        "attachment": [
            {
                "type": "Document",
                "mediaType": "image/jpeg",
                "url": "https://remote.example/files/1.jpg",
                "name": "A cat <b>asleep</b>",
            },
            {"type": "Video", "url": [{"type": "Link", "href": "https://remote.example/2.mp4"}]},
            {"type": "Document", "url": "javascript:alert(1)"},
            {"type": "PropertyValue", "name": "Pronouns", "value": "they"},
            {"type": "Image"},
        ],
    }

    assert summary_of(posted) == "Spoilers & such"
    assert summary_of({"summary": "  "}) is None
    assert attachments_of(posted) == (
        RemoteAttachment(
            kind="Document",
            url="https://remote.example/files/1.jpg",
            media_type="image/jpeg",
            name="A cat asleep",
        ),
        RemoteAttachment(kind="Video", url="https://remote.example/2.mp4"),
    )
    assert attachments_of({}) == ()


async def test_a_followed_accounts_note_keeps_its_content_warning_and_media(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    await alice_follows_peer(federation, peer)
    picture = {"type": "Image", "url": f"{peer.url}/files/1.png", "name": "A harbour"}
    posted = note(peer, "<p>Look</p>", summary="Boats", attachment=[picture])

    await send(federation, peer, activity(peer, "Create", posted))

    (received,) = await event_recorder.wait_for(RECEIVED)
    assert received.data["summary"] == "Boats"
    assert received.data["attachments"] == [
        {"kind": "Image", "url": f"{peer.url}/files/1.png", "media_type": None, "name": "A harbour"}
    ]


async def test_an_update_by_its_author_changes_the_content_warning_and_media_as_a_create_reads(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    await alice_follows_peer(federation, peer)
    picture = {"type": "Image", "url": f"{peer.url}/files/1.png", "name": "A harbour"}
    posted = note(peer, "<p>Look</p>", summary="Boats", attachment=[picture])
    await send(federation, peer, activity(peer, "Create", posted))
    await event_recorder.wait_for(RECEIVED)
    many = [{"type": "Image", "url": f"{peer.url}/files/{n}.png"} for n in range(20)]
    unsafe = {"type": "Document", "url": "javascript:alert(1)"}
    newer = {
        **posted,
        "summary": "<p>Spoilers &amp; such</p>",
        "attachment": [unsafe, *many],
        "updated": "2026-12-07T04:00:00Z",
    }

    other = RemotePeer()
    async with other.served():
        hijack = activity(other, "Update", {**newer, "summary": "Not theirs"})
        assert (await federation.post_signed("/inbox", hijack, other)).status_code == 202
    await send(federation, peer, activity(peer, "Update", newer))

    (edited,) = await event_recorder.wait_for("federation.remote_post_edited")
    assert edited.data["summary"] == "Spoilers & such"
    assert edited.data["attachments"] == [
        {"kind": "Image", "url": f"{peer.url}/files/{n}.png", "media_type": None, "name": None}
        for n in range(16)
    ]
    assert len(event_recorder.of_type("federation.remote_post_edited")) == 1
