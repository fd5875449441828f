"""Remote accounts' posts, as the federation service reports them: kept once as published
posts of those accounts (post.created and post.published, as for any post), their text fitted
to this instance's rules; a newer edit applies, an older one does not; a deletion deletes. A
remote author's invitation of a local account is added to their post as any author's is, or
told as refused when the invitee's rules refuse it; its author's withdrawal removes it as the
author would."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from posts_support import RITA, Headers, Ids, remote_post_received

from posts.remote.rules import remote_text
from shared.events.federation import (
    RemoteAttachment,
    RemoteCoauthorInvited,
    RemoteInvitationWithdrawn,
    RemotePostDeleted,
    RemotePostEdited,
    RemotePostReceived,
)
from shared.events.invitations import InvitationAccepted
from shared.mongo import Database
from shared.remote_accounts import remote_post_id
from shared.testing import EventInjector, EventRecorder, KnownUser

NOTE = "https://social.example/users/rita/statuses/1"
POST = remote_post_id(NOTE)
PUBLISHED = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def received(text: str = "Hello from afar") -> RemotePostReceived:
    return remote_post_received(RITA, NOTE, text, PUBLISHED)


def edited(text: str, minutes: int) -> RemotePostEdited:
    return RemotePostEdited(
        activity_id=f"{NOTE}#updates/{minutes}",
        post_id=POST,
        author_id=RITA.id,
        text=text,
        edited_at=PUBLISHED + timedelta(minutes=minutes),
    )


def test_remote_text_is_cut_to_the_local_length_or_replaced_by_its_url_when_it_shows_nothing() -> (
    None
):
    assert remote_text("x" * 600, "https://u", 500) == "x" * 499 + "…"
    assert remote_text("  \u200b ", "https://social.example/@rita/1", 500) == (
        "https://social.example/@rita/1"
    )
    assert remote_text("a\x07b", "https://u", 500) == "ab"


async def test_a_remote_post_is_a_published_post_of_its_account_taken_once(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
) -> None:
    await events.register(RITA)

    await events.publish(received(), received())

    answer = await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["text"] == "Hello from afar"
    assert answer.json()["author"]["handle"] == "rita@social.example"
    assert answer.json()["status"] == "published"
    (published,) = await event_recorder.wait_for("post.published")
    assert published.data["author_id"] == RITA.id
    assert published.data["post_id"] == POST
    assert len(event_recorder.of_type("post.created")) == 1


async def test_a_remote_posts_content_warning_and_media_are_shown_linked_to_its_server(
    client: httpx.AsyncClient, events: EventInjector, posts_db: Database, as_user: Headers
) -> None:
    picture = RemoteAttachment(
        kind="Image",
        url="https://social.example/files/1.png",
        media_type="image/png",
        name="A harbour",
    )
    elsewhere = RemoteAttachment(kind="Document", url="ftp://social.example/files/2.png")
    await events.register(RITA)
    await events.publish(
        received().model_copy(update={"summary": "Boats", "attachments": (picture, elsewhere)})
    )

    stored = await posts_db["posts"].find_one({"_id": POST}, {"remote": 1})
    assert stored is not None
    assert stored["remote"]["summary"] == "Boats"
    answer = await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["content_warning"] == "Boats"
    assert answer.json()["remote_media"] == [
        {
            "url": "https://social.example/files/1.png",
            "media_type": "image/png",
            "description": "A harbour",
        }
    ]
    assert answer.json()["media"] == []


async def test_a_local_post_has_no_content_warning_nor_remote_media(
    client: httpx.AsyncClient, as_user: Headers
) -> None:
    created = await client.post("/v1/posts", json={"text": "Mine"}, headers=as_user("alice"))
    assert created.status_code == 201, created.text
    assert created.json()["content_warning"] is None
    assert created.json()["remote_media"] == []


async def test_a_newer_edit_of_a_remote_post_applies_and_an_older_one_does_not(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
) -> None:
    await events.publish(received())

    await events.publish(edited("Second thoughts", 10))
    await events.publish(edited("Stale", 5))

    answer = await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))
    assert answer.json()["text"] == "Second thoughts"
    (edit,) = await event_recorder.wait_for("post.edited")
    assert edit.data["version"] == 2


async def test_a_remote_posts_edit_changes_its_content_warning_and_media_as_its_next_version(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
) -> None:
    picture = RemoteAttachment(kind="Image", url="https://social.example/1.png", name="Boats")
    drawing = RemoteAttachment(kind="Image", url="https://social.example/2.png")
    await events.publish(
        received().model_copy(update={"summary": "Sea", "attachments": (picture,)})
    )

    same_text = edited("Hello from afar", 10)
    await events.publish(same_text.model_copy(update={"summary": None, "attachments": (drawing,)}))
    await events.publish(
        edited("Stale", 5).model_copy(update={"summary": "Old", "attachments": (picture,)})
    )

    answer = (await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))).json()
    assert answer["text"] == "Hello from afar"
    assert answer["content_warning"] is None
    assert answer["remote_media"] == [
        {"url": "https://social.example/2.png", "media_type": None, "description": None}
    ]
    assert answer["version"] == 2
    (edit,) = await event_recorder.wait_for("post.edited")
    assert edit.data["version"] == 2


async def test_an_edit_told_before_content_warnings_were_leaves_them_as_they_are(
    client: httpx.AsyncClient, events: EventInjector, as_user: Headers
) -> None:
    await events.publish(received().model_copy(update={"summary": "Sea"}))

    await events.publish(edited("Second thoughts", 10))

    answer = (await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))).json()
    assert answer["text"] == "Second thoughts"
    assert answer["content_warning"] == "Sea"


async def test_a_deleted_remote_post_is_gone(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
) -> None:
    await events.publish(received())

    await events.publish(
        RemotePostDeleted(
            activity_id=f"{NOTE}#delete", post_id=POST, author_id=RITA.id, deleted_at=PUBLISHED
        )
    )

    assert (await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))).status_code == 404
    (deleted,) = await event_recorder.wait_for("post.deleted")
    assert deleted.data["post_id"] == POST


# Local accounts invited to co-author a remote post


@pytest.fixture
async def ritas_post(client: httpx.AsyncClient, events: EventInjector) -> httpx.AsyncClient:
    """The posts service with rita's post taken in (rita is known to the users stand-in)."""
    await events.publish(received())
    return client


def rita_invites(invitee_id: str, invitation_id: str = "a" * 32) -> RemoteCoauthorInvited:
    return RemoteCoauthorInvited(
        activity_id="https://social.example/users/rita#invites/1",
        invitation_id=invitation_id,
        post_id=POST,
        author_id=RITA.id,
        invitee_id=invitee_id,
        invited_at=PUBLISHED,
    )


async def test_a_remote_invitation_is_added_to_the_remote_post_as_its_authors_invitation(
    ritas_post: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    uid: Ids,
    as_user: Headers,
) -> None:
    await events.publish(rita_invites(uid("bob")), rita_invites(uid("bob")))
    # Someone whose rules refuse rita is not invited (nor the invitation opened).
    await events.publish(rita_invites(uid("hermit"), "b" * 32))

    (invited,) = await event_recorder.wait_for("post.coauthor_invited")
    assert (invited.data["invitation_id"], invited.data["invitee_id"]) == ("a" * 32, uid("bob"))
    assert invited.data["author_id"] == RITA.id
    post = (await ritas_post.get(f"/v1/posts/{POST}", headers=as_user("bob"))).json()
    assert [(c["user"]["id"], c["status"]) for c in post["coauthors"]] == [(uid("bob"), "invited")]
    await events.publish(
        InvitationAccepted(
            invitation_id="a" * 32,
            post_id=POST,
            inviter_id=RITA.id,
            invitee_id=uid("bob"),
            responded_at=PUBLISHED,
        )
    )
    (added,) = await event_recorder.wait_for("post.coauthor_added")
    assert (added.data["post_id"], added.data["coauthor_id"]) == (POST, uid("bob"))
    assert len(event_recorder.of_type("post.coauthor_invited")) == 1


async def test_a_remote_invitation_the_invitees_rules_refuse_is_told_as_refused_without_why(
    ritas_post: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    uid: Callable[[str], str],
    as_user: Callable[[str], dict[str, str]],
) -> None:
    await events.publish(rita_invites(uid("hermit"), "b" * 32))

    (refused,) = await event_recorder.wait_for("post.coauthor_invitation_refused")
    assert refused.data == {
        "post_id": POST,
        "author_id": RITA.id,
        "invitation_id": "b" * 32,
        "invitee_id": uid("hermit"),
        "refused_at": refused.data["refused_at"],
    }
    post = (await ritas_post.get(f"/v1/posts/{POST}", headers=as_user("hermit"))).json()
    assert post["coauthors"] == []
    assert event_recorder.of_type("post.coauthor_invited") == []


def rita_withdraws(invitee_id: str, invitation_id: str = "a" * 32) -> RemoteInvitationWithdrawn:
    return RemoteInvitationWithdrawn(
        activity_id=f"https://social.example/undos/{invitation_id}",
        invitation_id=invitation_id,
        post_id=POST,
        author_id=RITA.id,
        invitee_id=invitee_id,
        withdrawn_at=PUBLISHED,
    )


async def test_a_remote_invitation_withdrawn_by_its_author_is_revoked_or_removed_here(
    ritas_post: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    uid: Callable[[str], str],
    as_user: Callable[[str], dict[str, str]],
) -> None:
    await events.publish(rita_invites(uid("bob")), rita_invites(uid("carol"), "c" * 32))
    await event_recorder.wait_for("post.coauthor_invited", count=2)
    await events.publish(
        InvitationAccepted(
            invitation_id="c" * 32,
            post_id=POST,
            inviter_id=RITA.id,
            invitee_id=uid("carol"),
            responded_at=PUBLISHED,
        )
    )
    await event_recorder.wait_for("post.coauthor_added")

    # An unknown invitation's withdrawal and a repeat change nothing.
    await events.publish(
        rita_withdraws(uid("bob")),
        rita_withdraws(uid("bob")),
        rita_withdraws(uid("carol"), "c" * 32),
        rita_withdraws(uid("dave"), "d" * 32),
    )

    removals = await event_recorder.wait_for("post.coauthor_removed", count=2)
    assert sorted(
        (r.data["coauthor_id"], r.data["reason"], r.data["invitation_id"]) for r in removals
    ) == sorted([(uid("bob"), "revoked", "a" * 32), (uid("carol"), "removed", "c" * 32)])
    post = (await ritas_post.get(f"/v1/posts/{POST}", headers=as_user("bob"))).json()
    assert post["coauthors"] == []
    assert len(event_recorder.of_type("post.coauthor_removed")) == 2


async def test_a_remote_invitation_withdrawn_before_it_was_added_is_never_added(
    ritas_post: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    uid: Callable[[str], str],
    as_user: Callable[[str], dict[str, str]],
) -> None:
    # Its withdrawal overtook it (the invitation waited for its post).
    await events.publish(rita_withdraws(uid("bob")))

    await events.publish(rita_invites(uid("bob")), rita_invites(uid("carol"), "c" * 32))

    (invited,) = await event_recorder.wait_for("post.coauthor_invited")
    assert invited.data["invitation_id"] == "c" * 32
    post = (await ritas_post.get(f"/v1/posts/{POST}", headers=as_user("carol"))).json()
    assert [c["user"]["id"] for c in post["coauthors"]] == [uid("carol")]
    assert event_recorder.of_type("post.coauthor_removed") == []


# Remote co-authors, credited on their consent stamps (checked by the federation service)

SAM = KnownUser.remote("https://other.example/users/sam", "Sam")


async def test_a_remote_post_is_credited_to_its_remote_coauthors_until_an_update_leaves_one_out(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
) -> None:
    await events.register(RITA, SAM)

    await events.publish(received().model_copy(update={"coauthor_ids": (SAM.id,)}))

    (published,) = await event_recorder.wait_for("post.published")
    assert published.data["coauthor_ids"] == [SAM.id]
    post = (await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))).json()
    assert [(c["user"]["id"], c["status"]) for c in post["coauthors"]] == [(SAM.id, "accepted")]

    # The same text, without the co-author: their credit ends, the text keeps its version.
    await events.publish(edited("Hello from afar", 10))

    (removed,) = await event_recorder.wait_for("post.coauthor_removed")
    assert (removed.data["post_id"], removed.data["coauthor_id"]) == (POST, SAM.id)
    post = (await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))).json()
    assert post["coauthors"] == []
    assert event_recorder.of_type("post.edited") == []

    # Credited again by a later Update whose stamp checks out again.
    await events.publish(
        edited("Hello from afar", 20).model_copy(update={"coauthor_ids": (SAM.id,)})
    )
    (added,) = await event_recorder.wait_for("post.coauthor_added")
    assert added.data["coauthor_id"] == SAM.id
