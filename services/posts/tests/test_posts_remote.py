"""Remote accounts' posts, as the federation service reports them: kept once as published
posts of those accounts (post.created and post.published, as for any post), their text fitted
to this instance's rules; a newer edit applies, an older one does not; a deletion deletes. A
remote author's invitation of a local account is added to their post as any author's is."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import httpx

from posts.remote.rules import remote_text
from shared.events.federation import (
    RemoteAttachment,
    RemoteCoauthorInvited,
    RemotePostDeleted,
    RemotePostEdited,
    RemotePostReceived,
)
from shared.events.invitations import InvitationAccepted
from shared.events.users import UserRegistered
from shared.mongo import Database
from shared.remote_accounts import remote_post_id, remote_user_id
from shared.testing import EligibilityStandIn, EventInjector, EventRecorder, KnownUser

type PostsServiceStarter = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]

AUTHOR = remote_user_id("https://social.example/users/rita")
NOTE = "https://social.example/users/rita/statuses/1"
POST = remote_post_id(NOTE)
PUBLISHED = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def received(text: str = "Hello from afar") -> RemotePostReceived:
    return RemotePostReceived(
        activity_id=f"{NOTE}/activity",
        post_id=POST,
        note_id=NOTE,
        url="https://social.example/@rita/1",
        author_id=AUTHOR,
        text=text,
        published_at=PUBLISHED,
    )


def edited(text: str, minutes: int) -> RemotePostEdited:
    return RemotePostEdited(
        activity_id=f"{NOTE}#updates/{minutes}",
        post_id=POST,
        author_id=AUTHOR,
        text=text,
        edited_at=PUBLISHED + timedelta(minutes=minutes),
    )


async def register_rita(events: EventInjector) -> None:
    await events.publish(
        UserRegistered(
            user_id=AUTHOR,
            handle="rita@social.example",
            display_name="Rita",
            created_at=PUBLISHED,
            domain="social.example",
        )
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
    as_user: Callable[[str], dict[str, str]],
) -> None:
    await register_rita(events)

    await events.publish(received(), received())

    answer = await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["text"] == "Hello from afar"
    assert answer.json()["author"]["handle"] == "rita@social.example"
    assert answer.json()["status"] == "published"
    (published,) = await event_recorder.wait_for("post.published")
    assert published.data["author_id"] == AUTHOR
    assert published.data["post_id"] == POST
    assert len(event_recorder.of_type("post.created")) == 1


async def test_a_remote_posts_content_warning_and_media_are_kept_beside_it(
    client: httpx.AsyncClient, events: EventInjector, posts_db: Database
) -> None:
    picture = RemoteAttachment(
        kind="Image", url="https://social.example/files/1.png", name="A harbour"
    )
    await events.publish(
        received().model_copy(update={"summary": "Boats", "attachments": (picture,)})
    )

    stored = await posts_db["posts"].find_one({"_id": POST}, {"remote": 1})
    assert stored is not None
    assert stored["remote"]["summary"] == "Boats"
    assert stored["remote"]["attachments"] == [picture.model_dump()]


async def test_a_newer_edit_of_a_remote_post_applies_and_an_older_one_does_not(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Callable[[str], dict[str, str]],
) -> None:
    await events.publish(received())

    await events.publish(edited("Second thoughts", 10))
    await events.publish(edited("Stale", 5))

    answer = await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))
    assert answer.json()["text"] == "Second thoughts"
    (edit,) = await event_recorder.wait_for("post.edited")
    assert edit.data["version"] == 2


async def test_a_deleted_remote_post_is_gone(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Callable[[str], dict[str, str]],
) -> None:
    await events.publish(received())

    await events.publish(
        RemotePostDeleted(
            activity_id=f"{NOTE}#delete", post_id=POST, author_id=AUTHOR, deleted_at=PUBLISHED
        )
    )

    assert (await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))).status_code == 404
    (deleted,) = await event_recorder.wait_for("post.deleted")
    assert deleted.data["post_id"] == POST


# Local accounts invited to co-author a remote post


def rita_invites(invitee_id: str, invitation_id: str = "a" * 32) -> RemoteCoauthorInvited:
    return RemoteCoauthorInvited(
        activity_id="https://social.example/users/rita#invites/1",
        invitation_id=invitation_id,
        post_id=POST,
        author_id=AUTHOR,
        invitee_id=invitee_id,
        invited_at=PUBLISHED,
    )


async def test_a_remote_invitation_is_added_to_the_remote_post_as_its_authors_invitation(
    start_posts: PostsServiceStarter,
    users_stand_in: Callable[[], EligibilityStandIn],
    events: EventInjector,
    event_recorder: EventRecorder,
    uid: Callable[[str], str],
    as_user: Callable[[str], dict[str, str]],
) -> None:
    users = users_stand_in()
    users.users[AUTHOR] = KnownUser(AUTHOR, "rita@social.example", "Rita")
    async with start_posts(users=users.transport()) as client:
        await events.publish(received())

        await events.publish(rita_invites(uid("bob")), rita_invites(uid("bob")))
        # Someone whose rules refuse rita is not invited (nor the invitation opened).
        await events.publish(rita_invites(uid("hermit"), "b" * 32))

        (invited,) = await event_recorder.wait_for("post.coauthor_invited")
        assert (invited.data["invitation_id"], invited.data["invitee_id"]) == ("a" * 32, uid("bob"))
        assert invited.data["author_id"] == AUTHOR
        post = (await client.get(f"/v1/posts/{POST}", headers=as_user("bob"))).json()
        assert [(c["user"]["id"], c["status"]) for c in post["coauthors"]] == [
            (uid("bob"), "invited")
        ]
        await events.publish(
            InvitationAccepted(
                invitation_id="a" * 32,
                post_id=POST,
                inviter_id=AUTHOR,
                invitee_id=uid("bob"),
                responded_at=PUBLISHED,
            )
        )
        (added,) = await event_recorder.wait_for("post.coauthor_added")
        assert (added.data["post_id"], added.data["coauthor_id"]) == (POST, uid("bob"))
        assert len(event_recorder.of_type("post.coauthor_invited")) == 1


# Remote co-authors, credited on their consent stamps (checked by the federation service)

COAUTHOR = remote_user_id("https://other.example/users/sam")


async def test_a_remote_post_is_credited_to_its_remote_coauthors_until_an_update_leaves_one_out(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Callable[[str], dict[str, str]],
) -> None:
    await register_rita(events)
    await events.publish(
        UserRegistered(
            user_id=COAUTHOR,
            handle="sam@other.example",
            display_name="Sam",
            created_at=PUBLISHED,
            domain="other.example",
        )
    )

    await events.publish(received().model_copy(update={"coauthor_ids": (COAUTHOR,)}))

    (published,) = await event_recorder.wait_for("post.published")
    assert published.data["coauthor_ids"] == [COAUTHOR]
    post = (await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))).json()
    assert [(c["user"]["id"], c["status"]) for c in post["coauthors"]] == [(COAUTHOR, "accepted")]

    # The same text, without the co-author: their credit ends, the text keeps its version.
    await events.publish(edited("Hello from afar", 10))

    (removed,) = await event_recorder.wait_for("post.coauthor_removed")
    assert (removed.data["post_id"], removed.data["coauthor_id"]) == (POST, COAUTHOR)
    post = (await client.get(f"/v1/posts/{POST}", headers=as_user("alice"))).json()
    assert post["coauthors"] == []
    assert event_recorder.of_type("post.edited") == []

    # Credited again by a later Update whose stamp checks out again.
    await events.publish(
        edited("Hello from afar", 20).model_copy(update={"coauthor_ids": (COAUTHOR,)})
    )
    (added,) = await event_recorder.wait_for("post.coauthor_added")
    assert added.data["coauthor_id"] == COAUTHOR
