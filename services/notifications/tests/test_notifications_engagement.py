"""Grouped post.liked and post.replied notifications (issue 12), on the real broker and MongoDB:
every credited author hears, muted and blocked accounts do not, withdrawals, replays."""

from datetime import UTC, datetime, timedelta
from typing import Any

from notifications_support import NotificationsHarness

from shared.events import make_event
from shared.events.posts import (
    PostCounts,
    PostCreated,
    PostDeleted,
    PostLiked,
    PostReplied,
    PostReplyRemoved,
    PostUnliked,
)
from shared.events.users import UserBlocked, UserMuted
from shared.testing import ALICE, BOB, CAROL

T = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
COUNTS = PostCounts(like_count=0, reply_count=0, version=1)
# Likers the directory does not know: rendered with a null actor, which is fine here.
DAN, EVE = "dan", "eve"


def like(liker: str, seq: int = 1, second: int = 0, post: str = "p1") -> PostLiked:
    return PostLiked(
        post_id=post,
        liker_id=liker,
        author_ids=(ALICE, BOB),
        like_seq=seq,
        counts=COUNTS,
        liked_at=T + timedelta(seconds=second),
    )


def unlike(liker: str, seq: int = 2, second: int = 0) -> PostUnliked:
    return PostUnliked(
        post_id="p1",
        liker_id=liker,
        author_ids=(ALICE, BOB),
        like_seq=seq,
        counts=COUNTS,
        unliked_at=T + timedelta(seconds=second),
    )


async def liked_groups(harness: NotificationsHarness, user_id: str) -> list[dict[str, Any]]:
    items = (await harness.notifications(user_id))["items"]
    return [n for n in items if n["type"] == "post.liked"]


async def test_likes_are_one_unread_notification_per_author_counting_the_likers(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(like(CAROL, second=1), like(DAN, second=2))
    for author in (ALICE, BOB):
        [group] = await liked_groups(notifications, author)
        assert (group["count"], group["actor"], group["post_id"]) == (2, None, "p1")
        assert (await notifications.notifications(author))["unread_count"] == 1
    # Read, then a new like: the same notification comes back unread, counting from one.
    await notifications.mark_read(ALICE, {"all": True})
    await notifications.events.publish(like(EVE, second=3))
    [group] = await liked_groups(notifications, ALICE)
    assert (group["count"], group["read"]) == (1, False)
    [group] = await liked_groups(notifications, BOB)
    assert group["count"] == 3


async def test_replayed_and_reordered_like_events_leave_the_group_right(
    notifications: NotificationsHarness,
) -> None:
    story = [
        make_event(data, producer="posts")
        for data in (
            like(CAROL, 1, second=1),
            like(DAN, 1, second=2),
            unlike(CAROL, 2, second=3),
            like(EVE, 1, second=4),
        )
    ]
    await notifications.events.deliver(*reversed(story))
    await notifications.events.deliver(*story)
    for envelope in story:
        await notifications.events.forget_processed(envelope)
    await notifications.events.deliver(*story[::2], *story[1::2])
    for author in (ALICE, BOB):
        [group] = await liked_groups(notifications, author)
        assert group["count"] == 2
    stored = await notifications.db["notifications"].find_one({"type": "post.liked"})
    assert stored is not None
    assert [liker["id"] for liker in stored["likers"]] == [DAN, EVE]
    assert stored["actor_id"] == EVE


async def test_the_last_unlike_withdraws_the_group(notifications: NotificationsHarness) -> None:
    await notifications.events.publish(like(CAROL), unlike(CAROL))
    assert await liked_groups(notifications, ALICE) == []
    assert (await notifications.notifications(ALICE))["unread_count"] == 0


async def test_muted_and_blocked_likers_notify_no_one_who_muted_or_blocked_them(
    notifications: NotificationsHarness,
) -> None:
    # The mute and the block first: the users service's events and the posts service's likes
    # travel on different queues, so nothing orders a like after a relation published with it.
    await notifications.events.publish(
        UserMuted(muter_id=ALICE, muted_id=CAROL, muted_at=T),
        UserBlocked(blocker_id=BOB, blocked_id=DAN, blocked_at=T),
    )
    await notifications.events.publish(like(CAROL, second=1), like(DAN, second=2))
    [for_alice] = await liked_groups(notifications, ALICE)
    [for_bob] = await liked_groups(notifications, BOB)
    assert (for_alice["count"], for_bob["count"]) == (1, 1)


async def test_a_reply_notifies_every_author_once_and_its_removal_withdraws_it(
    notifications: NotificationsHarness,
) -> None:
    replied = PostReplied(
        post_id="p1",
        reply_id="r1",
        replier_id=CAROL,
        author_ids=(ALICE, BOB, CAROL),
        counts=COUNTS,
        replied_at=T,
    )
    await notifications.events.publish(replied, replied)
    for author in (ALICE, BOB):
        assert await notifications.types(author) == ["post.replied"]
    assert await notifications.types(CAROL) == []
    removed = PostReplyRemoved(
        post_id="p1", reply_id="r1", replier_id=CAROL, counts=COUNTS, removed_at=T
    )
    await notifications.events.publish(removed)
    # Withdrawn, and a late redelivery of the reply does not bring it back.
    await notifications.events.publish(replied)
    for author in (ALICE, BOB):
        assert await notifications.types(author) == []


async def test_notifications_preview_the_post_or_reply_they_are_about(
    notifications: NotificationsHarness,
) -> None:
    text = "A long caption. " * 12
    await notifications.events.publish(
        PostCreated(post_id="p1", author_id=ALICE, text=text, publish_mode="now", created_at=T),
        like(CAROL),
        PostReplied(
            post_id="p1",
            reply_id="r1",
            replier_id=DAN,
            author_ids=(ALICE,),
            counts=COUNTS,
            replied_at=T,
            reply_text="Lovely colours",
        ),
    )
    [liked] = await liked_groups(notifications, ALICE)
    assert liked["preview"] == text[:139].rstrip() + "…"
    assert len(liked["preview"]) <= 140
    items = (await notifications.notifications(ALICE))["items"]
    [replied] = [n for n in items if n["type"] == "post.replied"]
    assert replied["preview"] == "Lovely colours"


async def test_a_post_unknown_here_or_deleted_is_previewed_as_null(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(
        PostCreated(
            post_id="p2", author_id=ALICE, text="gone soon", publish_mode="now", created_at=T
        ),
        PostDeleted(post_id="p2", author_id=ALICE, coauthor_ids=(), deleted_at=T),
        like(CAROL, post="p2"),
        like(CAROL, post="p3"),
    )
    assert [g["preview"] for g in await liked_groups(notifications, BOB)] == [None]


def reply(reply_id: str, replier: str, second: int, post: str = "p1") -> PostReplied:
    return PostReplied(
        post_id=post,
        reply_id=reply_id,
        replier_id=replier,
        author_ids=(ALICE, BOB),
        counts=COUNTS,
        replied_at=T + timedelta(seconds=second),
        reply_text=f"reply {reply_id}",
    )


def reply_removed(reply_id: str, replier: str) -> PostReplyRemoved:
    return PostReplyRemoved(
        post_id="p1", reply_id=reply_id, replier_id=replier, counts=COUNTS, removed_at=T
    )


async def replied_groups(harness: NotificationsHarness, user_id: str) -> list[dict[str, Any]]:
    items = (await harness.notifications(user_id))["items"]
    return [n for n in items if n["type"] == "post.replied"]


async def test_thirty_replies_make_one_unread_notification_per_author(
    notifications: NotificationsHarness,
) -> None:
    replies = [reply(f"r{i}", (CAROL, DAN)[i % 2], second=i) for i in range(30)]
    await notifications.events.publish(*replies, replies[3])  # one redelivered

    for author in (ALICE, BOB):
        [group] = await replied_groups(notifications, author)
        assert (group["count"], group["post_id"], group["preview"]) == (30, "p1", "reply r29")
        assert group["actor"] is None or group["actor"]["id"] == DAN
        assert (await notifications.notifications(author))["unread_count"] == 1
    await notifications.events.publish(reply_removed("r29", DAN))
    [group] = await replied_groups(notifications, ALICE)
    assert (group["count"], group["preview"]) == (29, "reply r28")

    await notifications.mark_read(ALICE, {"all": True})
    await notifications.events.publish(reply("r30", EVE, second=40))
    [group] = await replied_groups(notifications, ALICE)
    assert (group["count"], group["read"], group["preview"]) == (1, False, "reply r30")
    await notifications.events.publish(reply_removed("r30", EVE))
    assert await replied_groups(notifications, ALICE) == []
    [group] = await replied_groups(notifications, BOB)
    assert group["count"] == 29


async def test_a_reply_removed_before_it_arrives_notifies_no_one(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(reply_removed("r1", CAROL), reply("r1", CAROL, second=1))
    for author in (ALICE, BOB):
        assert await replied_groups(notifications, author) == []
