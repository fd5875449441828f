"""The engagement rules of posts (issue 12): what counts, who may like or reply."""

from datetime import UTC, datetime

import pytest

from posts.core import rules as core
from posts.core.rules import Coauthor, Counts, Post, PostNotFound
from posts.engagement import rules as engagement

T = datetime(2026, 1, 1, tzinfo=UTC)


def post(status: str = "published") -> Post:
    return Post(
        id="p",
        author_id="ann",
        text="t",
        publish_mode="now",
        status=status,  # type: ignore[arg-type]
        created_at=T,
        coauthors=(
            Coauthor("ben", "i1", "accepted", T, T),
            Coauthor("cy", "i2", "invited", T),
        ),
    )


@pytest.mark.parametrize(
    ("active", "hidden_by", "counts"),
    [(True, (), True), (True, ("ben",), False), (False, (), False), (False, ("ben",), False)],
)
def test_a_like_counts_while_active_and_no_credited_author_blocks_its_liker(
    active: bool, hidden_by: tuple[str, ...], counts: bool
) -> None:
    assert engagement.like_counts(active=active, hidden_by=hidden_by) is counts


def test_counts_move_by_one_change_each_with_a_new_version_and_never_below_zero() -> None:
    assert Counts(3, 1, 7).after(likes=1) == Counts(4, 1, 8)
    assert Counts(0, 0, 2).after(replies=-1) == Counts(0, 0, 3)


def test_only_credited_authors_are_the_posts_authors_not_invitees() -> None:
    assert engagement.credited_author_ids(post()) == ("ann", "ben")


@pytest.mark.parametrize("status", ["pending", "deleted"])
def test_a_post_not_published_cannot_be_liked_or_replied_to(status: str) -> None:
    with pytest.raises(PostNotFound):
        engagement.require_engageable(post(status), "ann")


def test_reply_text_is_normalised_and_checked_like_a_posts() -> None:
    assert engagement.validate_reply_text("  hi\u200b  ", max_text_length=10) == "hi"
    with pytest.raises(core.InvalidPost):
        engagement.validate_reply_text("x" * 11, max_text_length=10)


def test_a_remote_reply_is_cut_to_a_local_replys_length_not_refused() -> None:
    assert engagement.remote_reply_text("  short\u200b ", max_text_length=10) == "short"
    assert engagement.remote_reply_text("one two three", max_text_length=8) == "one two…"
    assert len(engagement.remote_reply_text("x" * 600, max_text_length=500)) == 500


@pytest.mark.parametrize("text", ["", "\u2800", "bell\x07"])
def test_a_remote_reply_that_would_be_invalid_locally_is_invalid(text: str) -> None:
    with pytest.raises(core.InvalidPost):
        engagement.remote_reply_text(text, max_text_length=500)
