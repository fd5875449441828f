"""Likes and replies in the posts service (issue 12), on the real broker and embedded MongoDB:
the counters, the events announcing them, blocks hiding likes, and settling after a crash."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from posts_support import Headers, Ids, created_post, get_json

from posts.engagement.repository import LIKES
from shared.events.users import UserBlocked, UserDeleted, UserMuted, UserUnblocked
from shared.mongo import Database
from shared.testing import EligibilityStandIn, EventInjector, EventRecorder, wait_until


async def new_post(client: httpx.AsyncClient, as_user: Headers, author: str = "alice") -> str:
    post_id: str = (await created_post(client, as_user(author)))["id"]
    return post_id


async def read_post(client: httpx.AsyncClient, as_user: Headers, post_id: str, viewer: str) -> Any:
    return await get_json(client, f"/v1/posts/{post_id}", as_user(viewer))


async def test_likes_count_once_per_account_and_each_change_is_announced_with_its_counts(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, event_recorder: EventRecorder
) -> None:
    post_id = await new_post(client, as_user)
    for method, who in [("PUT", "bob"), ("PUT", "bob"), ("PUT", "carol"), ("DELETE", "bob")]:
        response = await client.request(method, f"/v1/posts/{post_id}/like", headers=as_user(who))
        assert response.status_code == 204, response.text
    await client.delete(f"/v1/posts/{post_id}/like", headers=as_user("bob"))

    post = await read_post(client, as_user, post_id, "carol")
    assert (post["like_count"], post["liked_by_me"]) == (1, True)
    assert (await read_post(client, as_user, post_id, "bob"))["liked_by_me"] is False
    liked = await event_recorder.wait_for("post.liked", count=2)
    [unliked] = await event_recorder.wait_for("post.unliked")
    versions = [e.data["counts"]["version"] for e in [*liked, unliked]]
    assert sorted(versions) == [1, 2, 3]
    assert unliked.data["counts"] == {"like_count": 1, "reply_count": 0, "version": 3}
    assert unliked.data["author_ids"] == [uid("alice")]
    likers = await client.get(f"/v1/posts/{post_id}/likes", headers=as_user("alice"))
    assert [u["handle"] for u in likers.json()["items"]] == ["carol"]


async def test_a_reply_is_a_post_in_the_thread_counted_on_its_parent_until_deleted(
    client: httpx.AsyncClient, as_user: Headers, event_recorder: EventRecorder
) -> None:
    post_id = await new_post(client, as_user)
    replies = []
    for who in ("bob", "carol"):
        response = await client.post(
            f"/v1/posts/{post_id}/replies", json={"text": f"hi from {who}"}, headers=as_user(who)
        )
        assert response.status_code == 201, response.text
        replies.append(response.json())
    assert replies[0]["reply_to"] == post_id
    assert replies[0]["coauthors"] == []
    thread = await client.get(f"/v1/posts/{post_id}/replies?limit=1", headers=as_user("dave"))
    assert [r["author"]["handle"] for r in thread.json()["items"]] == ["bob"]
    cursor = thread.json()["next_cursor"]
    rest = await client.get(
        f"/v1/posts/{post_id}/replies", params={"cursor": cursor}, headers=as_user("dave")
    )
    assert [r["author"]["handle"] for r in rest.json()["items"]] == ["carol"]
    assert (await read_post(client, as_user, post_id, "dave"))["reply_count"] == 2

    deleted = await client.delete(f"/v1/posts/{replies[0]['id']}", headers=as_user("bob"))
    assert deleted.status_code == 204
    assert (await read_post(client, as_user, post_id, "dave"))["reply_count"] == 1
    [removed] = await event_recorder.wait_for("post.reply_removed")
    assert removed.data["reply_id"] == replies[0]["id"]
    assert removed.data["counts"]["reply_count"] == 1


async def test_a_block_by_the_author_hides_a_like_and_refuses_replies_until_unblocked(
    client: httpx.AsyncClient,
    users: EligibilityStandIn,
    as_user: Headers,
    uid: Ids,
    events: EventInjector,
) -> None:
    post_id = await new_post(client, as_user)
    await client.put(f"/v1/posts/{post_id}/like", headers=as_user("bob"))
    start = datetime.now(UTC)
    block = UserBlocked(blocker_id=uid("alice"), blocked_id=uid("bob"), blocked_at=start)
    unblock = UserUnblocked(
        blocker_id=uid("alice"),
        blocked_id=uid("bob"),
        unblocked_at=start + timedelta(seconds=1),
    )
    users.block(uid("alice"), uid("bob"))
    await events.publish(block)
    assert (await read_post(client, as_user, post_id, "carol"))["like_count"] == 0
    refused = await client.post(
        f"/v1/posts/{post_id}/replies", json={"text": "hey"}, headers=as_user("bob")
    )
    assert refused.status_code == 403
    likers = await client.get(f"/v1/posts/{post_id}/likes", headers=as_user("alice"))
    assert likers.json()["items"] == []

    # The unblock, then the block again (older news) and the unblock twice: unblocked.
    users.blocks.discard((uid("alice"), uid("bob")))
    await events.publish(unblock, block, unblock)
    assert (await read_post(client, as_user, post_id, "carol"))["like_count"] == 1
    assert (await read_post(client, as_user, post_id, "bob"))["liked_by_me"] is True


async def test_replies_of_accounts_the_reader_mutes_are_left_out_for_that_reader(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, events: EventInjector
) -> None:
    post_id = await new_post(client, as_user)
    await client.post(f"/v1/posts/{post_id}/replies", json={"text": "x"}, headers=as_user("bob"))
    await events.publish(
        UserMuted(muter_id=uid("dave"), muted_id=uid("bob"), muted_at=datetime.now(UTC))
    )
    for reader, expected in (("dave", []), ("erin", ["bob"])):
        thread = await client.get(f"/v1/posts/{post_id}/replies", headers=as_user(reader))
        assert [r["author"]["handle"] for r in thread.json()["items"]] == expected


async def test_a_deleted_account_takes_its_likes_and_its_replies_counts_away(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, events: EventInjector
) -> None:
    post_id = await new_post(client, as_user)
    await client.put(f"/v1/posts/{post_id}/like", headers=as_user("frank"))
    await client.post(f"/v1/posts/{post_id}/replies", json={"text": "x"}, headers=as_user("frank"))
    gone = UserDeleted(user_id=uid("frank"), deleted_at=datetime.now(UTC))
    await events.publish(gone, gone)
    post = await read_post(client, as_user, post_id, "alice")
    assert (post["like_count"], post["reply_count"]) == (0, 0)


async def test_a_count_change_begun_before_a_crash_is_finished_once_by_the_settling_pass(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, posts_db: Database
) -> None:
    post_id = await new_post(client, as_user)
    await client.put(f"/v1/posts/{post_id}/like", headers=as_user("bob"))
    await client.put(f"/v1/posts/{post_id}/like", headers=as_user("carol"))
    # As if carol's settle had written its pending change, applied it, then crashed.
    like = f"{post_id}:{uid('carol')}"
    stored = await posts_db[LIKES].find_one({"_id": like})
    assert stored is not None
    await posts_db[LIKES].update_one(
        {"_id": like},
        {
            "$set": {"counted": False, "unsettled": True},
            "$unset": {"pending": ""},
        },
    )
    await posts_db[LIKES].update_one(
        {"_id": like}, {"$set": {"pending": {"seq": stored["seq"], "counted": True}}}
    )

    async def settled() -> bool:
        found = await posts_db[LIKES].find_one({"_id": like})
        return found is not None and "unsettled" not in found and found["counted"] is True

    await wait_until(settled)
    assert (await read_post(client, as_user, post_id, "alice"))["like_count"] == 2


async def test_liking_a_post_nobody_may_see_is_404_and_bad_replies_422(
    client: httpx.AsyncClient, as_user: Headers
) -> None:
    response = await client.post(
        "/v1/posts",
        json={"text": "pending", "coauthors": ["bob"], "publish_mode": "when_accepted"},
        headers=as_user("alice"),
    )
    pending_id = response.json()["id"]
    for path in (f"/v1/posts/{pending_id}/like", "/v1/posts/nope/like"):
        assert (await client.put(path, headers=as_user("carol"))).status_code == 404
    post_id = await new_post(client, as_user)
    for body in ({"text": ""}, {"text": "x" * 501}, {"text": "a\x00b"}, {}):
        response = await client.post(
            f"/v1/posts/{post_id}/replies", json=body, headers=as_user("bob")
        )
        assert response.status_code == 422, body
    assert (await read_post(client, as_user, post_id, "bob"))["reply_count"] == 0
