"""Grouping likes (issue 12) as pure rules: who hears, and how a group's likers change."""

from datetime import UTC, datetime, timedelta

from notifications.engagement.rules import like_recipients, likers_after_like, likers_after_unlike

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
