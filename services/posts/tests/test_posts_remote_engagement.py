"""Remote accounts' likes, replies and shares, as the federation service's facts bring them, on
the real broker and embedded MongoDB: counted and announced as a local account's, once however
often a fact comes, taken back by their undo, and refused when an author blocks the account."""

from datetime import UTC, datetime
from itertools import count
from typing import Any

import httpx
from posts_support import ZOE, Headers, Ids, created_post, get_json

from posts.core.repository import POSTS
from posts.engagement.repository import LIKES
from shared.events import make_event
from shared.events.federation import (
    RemoteAnnounceReceived,
    RemoteLikeReceived,
    RemoteLikeUndone,
    RemoteReplyDeleted,
    RemoteReplyReceived,
)
from shared.mongo import Database
from shared.testing import EligibilityStandIn, EventInjector, EventRecorder

AT = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
NOTE = "https://remote.example/notes/1"
REPLY_ID = "5" * 32
_activities = count()


def activity_id() -> str:
    return f"https://remote.example/activities/{next(_activities)}"


async def new_post(client: httpx.AsyncClient, as_user: Headers) -> str:
    post_id: str = (await created_post(client, as_user("alice")))["id"]
    return post_id


async def read_post(client: httpx.AsyncClient, as_user: Headers, post_id: str) -> Any:
    return await get_json(client, f"/v1/posts/{post_id}", as_user("dave"))


def liked(post_id: str) -> RemoteLikeReceived:
    return RemoteLikeReceived(
        activity_id=activity_id(), user_id=ZOE.id, post_id=post_id, received_at=AT
    )


def replied(post_id: str, text: str = "Lovely photo") -> RemoteReplyReceived:
    return RemoteReplyReceived(
        activity_id=activity_id(),
        user_id=ZOE.id,
        post_id=post_id,
        reply_id=REPLY_ID,
        note_id=NOTE,
        text=text,
        received_at=AT,
    )


def reply_deleted(post_id: str, user_id: str = ZOE.id) -> RemoteReplyDeleted:
    return RemoteReplyDeleted(
        activity_id=activity_id(),
        user_id=user_id,
        post_id=post_id,
        reply_id=REPLY_ID,
        deleted_at=AT,
    )


async def test_a_remote_like_counts_once_however_often_it_comes_and_its_undo_takes_it_back(
    client: httpx.AsyncClient,
    as_user: Headers,
    uid: Ids,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    post_id = await new_post(client, as_user)
    fact = make_event(liked(post_id), producer="federation")

    await events.deliver(fact, fact)  # the broker's redelivery
    await events.publish(liked(post_id))  # the same account's Like again, as a new activity

    post = await read_post(client, as_user, post_id)
    assert post["like_count"] == 1
    [like] = await event_recorder.wait_for("post.liked")
    assert (like.data["liker_id"], like.data["author_ids"]) == (ZOE.id, [uid("alice")])
    likers = await client.get(f"/v1/posts/{post_id}/likes", headers=as_user("dave"))
    assert [user["handle"] for user in likers.json()["items"]] == [ZOE.handle]

    await events.publish(
        RemoteLikeUndone(
            activity_id=fact.data["activity_id"], user_id=ZOE.id, post_id=post_id, undone_at=AT
        )
    )

    assert (await read_post(client, as_user, post_id))["like_count"] == 0
    [unliked] = await event_recorder.wait_for("post.unliked")
    assert unliked.data["counts"]["like_count"] == 0
    assert len(event_recorder.of_type("post.liked")) == 1


async def test_a_remote_like_and_reply_to_a_post_whose_author_blocks_the_account_are_refused(
    client: httpx.AsyncClient,
    users: EligibilityStandIn,
    as_user: Headers,
    uid: Ids,
    events: EventInjector,
    event_recorder: EventRecorder,
    posts_db: Database,
) -> None:
    post_id = await new_post(client, as_user)
    users.block(uid("alice"), ZOE.id)

    await events.publish(liked(post_id), replied(post_id))

    post = await read_post(client, as_user, post_id)
    assert (post["like_count"], post["reply_count"]) == (0, 0)
    assert await posts_db[LIKES].count_documents({"user_id": ZOE.id}) == 0
    assert await posts_db[POSTS].count_documents({"_id": REPLY_ID}) == 0
    assert event_recorder.of_type("post.liked") == []
    assert event_recorder.of_type("post.replied") == []


async def test_a_like_of_a_post_not_there_is_nothing(
    client: httpx.AsyncClient, events: EventInjector, posts_db: Database
) -> None:
    await events.publish(liked("no-such-post"))

    assert await posts_db[LIKES].count_documents({}) == 0


async def test_a_remote_reply_is_the_remote_accounts_reply_made_once_until_it_deletes_it(
    client: httpx.AsyncClient,
    as_user: Headers,
    uid: Ids,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    post_id = await new_post(client, as_user)

    await events.publish(replied(post_id), replied(post_id))  # the same Note, delivered twice

    thread = await client.get(f"/v1/posts/{post_id}/replies", headers=as_user("dave"))
    [reply] = thread.json()["items"]
    assert (reply["id"], reply["text"]) == (REPLY_ID, "Lovely photo")
    assert (reply["author"]["id"], reply["author"]["handle"]) == (ZOE.id, ZOE.handle)
    assert (await read_post(client, as_user, post_id))["reply_count"] == 1
    [announced] = await event_recorder.wait_for("post.replied")
    assert announced.data["replier_id"] == ZOE.id
    assert announced.data["author_ids"] == [uid("alice")]
    assert announced.data["reply_text"] == "Lovely photo"

    await events.publish(reply_deleted(post_id, user_id=uid("bob")))  # not bob's to delete
    assert (await read_post(client, as_user, post_id))["reply_count"] == 1

    await events.publish(reply_deleted(post_id))

    assert (await read_post(client, as_user, post_id))["reply_count"] == 0
    thread = await client.get(f"/v1/posts/{post_id}/replies", headers=as_user("dave"))
    assert thread.json()["items"] == []
    [removed] = await event_recorder.wait_for("post.reply_removed")
    assert removed.data["reply_id"] == REPLY_ID


async def test_a_remote_reply_longer_than_a_local_one_may_be_is_cut_to_the_limit(
    client: httpx.AsyncClient, as_user: Headers, events: EventInjector
) -> None:
    post_id = await new_post(client, as_user)

    await events.publish(replied(post_id, text="word " * 200))

    thread = await client.get(f"/v1/posts/{post_id}/replies", headers=as_user("dave"))
    [reply] = thread.json()["items"]
    assert len(reply["text"]) <= 500
    assert reply["text"].endswith("word…")


async def test_a_remote_share_tells_the_posts_authors_unless_one_blocks_the_account(
    client: httpx.AsyncClient,
    users: EligibilityStandIn,
    as_user: Headers,
    uid: Ids,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    shared_post, blocked_post = await new_post(client, as_user), await new_post(client, as_user)

    await events.publish(
        RemoteAnnounceReceived(
            activity_id=activity_id(), user_id=ZOE.id, post_id=shared_post, received_at=AT
        )
    )
    users.block(uid("alice"), ZOE.id)
    await events.publish(
        RemoteAnnounceReceived(
            activity_id=activity_id(), user_id=ZOE.id, post_id=blocked_post, received_at=AT
        )
    )

    [shared] = await event_recorder.wait_for("post.shared")
    assert shared.data["post_id"] == shared_post
    assert (shared.data["sharer_id"], shared.data["author_ids"]) == (ZOE.id, [uid("alice")])
    assert len(event_recorder.of_type("post.shared")) == 1
