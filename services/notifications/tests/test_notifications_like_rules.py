"""Grouping likes and replies as pure rules: who hears, and how a group's likers (replies)
change; who hears of a share."""

from datetime import UTC, datetime, timedelta

from notifications.core.rules import NotificationType
from notifications.engagement.rules import (
    MAX_REPLIES_PER_GROUP,
    GroupedReply,
    like_recipients,
    likers_after_like,
    likers_after_unlike,
    replies_after_removal,
    replies_after_reply,
)
from notifications.handlers import reaction_to
from shared.events.posts import PostShared

T = datetime(2026, 1, 1, tzinfo=UTC)


def at(second: int) -> datetime:
    return T + timedelta(seconds=second)


def test_every_credited_author_but_the_liker_hears_once() -> None:
    assert like_recipients(["ann", "ben", "ann", "cy"], "cy") == ["ann", "ben"]


def test_likers_stay_in_the_order_of_their_likes_whatever_order_they_arrive_in() -> None:
    group = likers_after_like([], ("b", at(2)), reopened=True)
    assert group is not None
    group = likers_after_like(group, ("a", at(1)), reopened=False)
    assert group == [("a", at(1)), ("b", at(2))]
    assert likers_after_like(group, ("a", at(5)), reopened=False) is None


def test_a_read_group_starts_afresh_and_an_unlike_of_a_stranger_changes_nothing() -> None:
    assert likers_after_like([("a", at(1))], ("b", at(2)), reopened=True) == [("b", at(2))]
    assert likers_after_unlike([("a", at(1))], "z") is None
    assert likers_after_unlike([("a", at(1)), ("b", at(2))], "b") == [("a", at(1))]


def _reply(reply_id: str, second: int) -> GroupedReply:
    return GroupedReply(reply_id, f"by-{reply_id}", at(second), "")


def test_replies_are_kept_in_time_order_once_each_and_bounded() -> None:
    first, second = _reply("a", 2), _reply("b", 1)
    assert replies_after_reply([first], second, reopened=False) == [second, first]
    assert replies_after_reply([first], first, reopened=True) is None
    assert replies_after_reply([first], second, reopened=True) == [second]
    many = [_reply(f"r{i:03}", i % 60) for i in range(MAX_REPLIES_PER_GROUP)]
    bounded = replies_after_reply(many, _reply("late", 59), reopened=False)
    assert bounded is not None
    assert len(bounded) == MAX_REPLIES_PER_GROUP
    assert replies_after_removal([first, second], "a") == [second]
    assert replies_after_removal([first], "zzz") is None


def test_a_share_tells_each_credited_author_but_the_sharer_once_per_sharer_and_post() -> None:
    shared = PostShared(post_id="p", sharer_id="cy", author_ids=("ann", "ben", "cy"), shared_at=T)
    again = PostShared(post_id="p", sharer_id="cy", author_ids=("ann",), shared_at=at(60))

    notifications = reaction_to(shared).notifications

    assert [(n.recipient_id, n.type, n.actor_id, n.post_id) for n in notifications] == [
        ("ann", NotificationType.POST_SHARED, "cy", "p"),
        ("ben", NotificationType.POST_SHARED, "cy", "p"),
    ]
    assert reaction_to(again).notifications[0].collapse_key == notifications[0].collapse_key
