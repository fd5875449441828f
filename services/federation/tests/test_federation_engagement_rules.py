"""What remote likes, announces and replies mean for local posts: only what is about a local
post counts, a reply is public text by its own author's server, and its HTML is reduced to
what it shows."""

from typing import Any

import pytest

from federation.core.urls import LocalUrls
from federation.engagement.rules import (
    MAX_REMOTE_TEXT_CHARS,
    Announced,
    Liked,
    NoteDeleted,
    Replied,
    Undone,
    engagement_of,
    reply_id_of,
    text_of,
)
from federation.publishing.rules import PUBLIC

URLS = LocalUrls("https", "copost.test")
ACTOR = "https://remote.example/users/zoe"
POST = "https://copost.test/posts/p1"
NOTE = "https://remote.example/notes/1"


def activity(kind: str, obj: object, **fields: Any) -> dict[str, Any]:
    return {"id": f"https://remote.example/activities/{kind}", "type": kind, "actor": ACTOR} | {
        "object": obj,
        **fields,
    }


def note(**fields: Any) -> dict[str, Any]:
    return {
        "id": NOTE,
        "type": "Note",
        "attributedTo": ACTOR,
        "inReplyTo": POST,
        "content": "<p>Lovely photo</p>",
        "to": [PUBLIC],
    } | fields


def test_a_like_of_a_local_post_is_a_like_of_it() -> None:
    like = activity("Like", POST)

    assert engagement_of(like, URLS) == Liked(like["id"], "p1")


def test_an_embedded_object_is_read_by_its_id() -> None:
    assert engagement_of(activity("Announce", {"id": POST, "type": "Note"}), URLS) == Announced(
        "https://remote.example/activities/Announce", "p1"
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://elsewhere.example/posts/p1",
        "https://copost.test/users/alice",
        "https://copost.test/posts/",
        "https://copost.test/posts/p1/replies",
        "http://copost.test/posts/p1",
        None,
        42,
        {"type": "Note"},
    ],
)
def test_a_like_of_anything_but_a_local_post_is_nothing(target: object) -> None:
    assert engagement_of(activity("Like", target), URLS) is None
    assert engagement_of(activity("Announce", target), URLS) is None


def test_an_undo_embedding_its_like_names_the_post() -> None:
    like = activity("Like", POST)

    assert engagement_of(activity("Undo", like), URLS) == Undone(like["id"], "Like", "p1")


def test_an_undo_by_id_alone_is_resolved_later() -> None:
    undo = activity("Undo", "https://remote.example/activities/Like")

    assert engagement_of(undo, URLS) == Undone("https://remote.example/activities/Like", None, None)


def test_an_undo_of_a_follow_is_not_engagement() -> None:
    follow = activity("Follow", "https://copost.test/users/alice")

    assert engagement_of(activity("Undo", follow), URLS) is None


def test_a_public_reply_to_a_local_post_is_a_reply_with_a_derived_id() -> None:
    create = activity("Create", note())

    assert engagement_of(create, URLS) == Replied(
        create["id"], NOTE, reply_id_of(NOTE), "p1", "Lovely photo"
    )


@pytest.mark.parametrize("kind", ["Like", "Announce"])
def test_a_like_or_share_without_an_id_is_nothing(kind: str) -> None:
    without_id = {key: value for key, value in activity(kind, POST).items() if key != "id"}

    assert engagement_of(without_id, URLS) is None


def test_a_reply_created_without_an_id_is_known_by_its_note() -> None:
    create = {key: value for key, value in activity("Create", note()).items() if key != "id"}

    assert engagement_of(create, URLS) == Replied(
        NOTE, NOTE, reply_id_of(NOTE), "p1", "Lovely photo"
    )


def test_a_derived_reply_id_has_the_shape_of_a_local_id_and_is_never_one() -> None:
    reply_id = reply_id_of(NOTE)

    assert len(reply_id) == 32
    assert int(reply_id, 16) >= 0
    assert reply_id[12] == "5"  # a local id is a random (version 4) UUID's hex
    assert reply_id_of(NOTE) == reply_id != reply_id_of(NOTE + "x")


@pytest.mark.parametrize(
    "changed",
    [
        {"inReplyTo": "https://elsewhere.example/posts/p1"},
        {"inReplyTo": None},
        {"to": ["https://remote.example/users/zoe/followers"], "cc": [URLS.actor("alice")]},
        {"attributedTo": "https://remote.example/users/someone-else"},
        {"id": "https://elsewhere.example/notes/1"},
        {"type": "Article"},
        {"content": '<span class="h-card"><a class="u-url mention">@<span>alice</span></a></span>'},
        {"content": None},
    ],
    ids=[
        "not-to-a-local-post",
        "not-a-reply",
        "not-public",
        "by-someone-else",
        "note-on-another-server",
        "not-a-note",
        "only-a-mention",
        "no-content",
    ],
)
def test_what_is_not_a_public_reply_of_its_author_to_a_local_post_is_nothing(
    changed: dict[str, Any],
) -> None:
    assert engagement_of(activity("Create", note(**changed)), URLS) is None


@pytest.mark.parametrize("public", [["as:Public"], "Public", [PUBLIC, ACTOR + "/followers"]])
def test_public_is_recognised_in_its_compacted_forms_and_in_cc(public: object) -> None:
    create = activity("Create", note(to=[ACTOR + "/followers"], cc=public))

    assert isinstance(engagement_of(create, URLS), Replied)


def test_a_delete_names_the_note_it_deletes() -> None:
    tombstone = {"id": NOTE, "type": "Tombstone"}

    assert engagement_of(activity("Delete", tombstone), URLS) == NoteDeleted(NOTE)
    assert engagement_of(activity("Delete", NOTE), URLS) == NoteDeleted(NOTE)


def test_a_delete_of_an_actor_or_of_another_servers_note_is_nothing() -> None:
    assert engagement_of(activity("Delete", ACTOR), URLS) is None
    assert engagement_of(activity("Delete", "https://elsewhere.example/notes/1"), URLS) is None


def test_other_activities_are_nothing() -> None:
    assert engagement_of(activity("EmojiReact", POST), URLS) is None
    assert engagement_of(activity("Update", note()), URLS) is None


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One &amp; two</p><p>three<br>four</p>", "One & two\n\nthree\nfour"),
        (
            '<p><span class="h-card"><a href="https://copost.test/users/alice" '
            'class="u-url mention">@<span>alice</span></a></span> '
            '<a class="mention">@bob@copost.test</a> thanks, @carol!</p>',
            "thanks, @carol!",
        ),
        ("<p>hi</p><script>alert(1)</script><style>p{}</style>", "hi"),
        ('<a href="javascript:x()" onclick="y()">link</a> &lt;b&gt;', "link <b>"),
        ("<p>a\n   b</p>", "a b"),
        ("tab\there\x00\x1b[31m", "tab here[31m"),
    ],
    ids=["paragraphs", "mentions", "scripts", "markup", "source-breaks", "controls"],
)
def test_a_notes_html_is_reduced_to_what_it_shows(html: str, text: str) -> None:
    assert text_of(html) == text


def test_a_long_text_is_bounded() -> None:
    assert len(text_of("<p>" + "a" * (MAX_REMOTE_TEXT_CHARS * 2) + "</p>")) == (
        MAX_REMOTE_TEXT_CHARS
    )
