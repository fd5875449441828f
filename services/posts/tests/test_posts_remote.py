"""Remote accounts' posts, as the federation service reports them: kept once as published
posts of those accounts (post.created and post.published, as for any post), their text fitted
to this instance's rules; a newer edit applies, an older one does not; a deletion deletes."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from posts.remote.rules import remote_text
from shared.events.federation import (
    RemoteAttachment,
    RemotePostDeleted,
    RemotePostEdited,
    RemotePostReceived,
)
from shared.events.users import UserRegistered
from shared.mongo import Database
from shared.remote_accounts import remote_post_id, remote_user_id
from shared.testing import EventInjector, EventRecorder

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
