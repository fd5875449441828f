"""Who keeps a post (posts.succession.rules): hand-over requests and answers, and what the
author's deletion does to each co-authored post as chosen."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from posts.coauthoring.rules import remove_deleted_account
from posts.core.rules import Coauthor, NotPostAuthor, Post
from posts.succession import rules as succession
from posts.succession.rules import HandoverConflict, HandoverNotFound, NotAnAcceptedCoauthor
from shared.events.posts import PostDeleted, PostHandedOver
from shared.events.users import KeepCoauthoredPosts

NOW = datetime(2026, 3, 1, tzinfo=UTC)
POST = Post(
    id="p",
    author_id="ann",
    text="ours",
    publish_mode="now",
    status="published",
    created_at=NOW,
    published_at=NOW,
    coauthors=(
        Coauthor("cat", "inv-2", "accepted", NOW, NOW + timedelta(minutes=2)),
        Coauthor("bob", "inv-1", "accepted", NOW, NOW + timedelta(minutes=1)),
        Coauthor("ivy", "inv-3", "invited", NOW),
    ),
)


@pytest.mark.parametrize(
    ("post_choice", "setting", "outcome"),
    [
        (None, "delete", "deleted"),
        (None, "hand_over", "bob"),
        ("hand_over", "delete", "bob"),
        ("delete", "hand_over", "deleted"),
    ],
)
def test_the_authors_deletion_deletes_or_hands_to_the_earliest_accepted_coauthor(
    post_choice: KeepCoauthoredPosts | None, setting: KeepCoauthoredPosts, outcome: str
) -> None:
    post = replace(POST, keep_on_author_deletion=post_choice)
    change = remove_deleted_account(post, "ann", setting, NOW)
    if outcome == "deleted":
        assert change.post.is_deleted
        assert isinstance(change.events[0], PostDeleted)
        return
    assert not change.post.is_deleted
    assert change.post.author_id == outcome
    assert [c.user_id for c in change.post.coauthors] == ["cat", "ivy"]
    assert "ann" in change.post.former_coauthor_ids
    (event,) = change.events
    assert isinstance(event, PostHandedOver)
    assert (event.reason, event.coauthor_ids) == ("account_deleted", ("cat",))


def test_a_post_with_nobody_accepted_goes_with_its_author() -> None:
    alone = replace(POST, coauthors=POST.coauthors[2:])
    assert remove_deleted_account(alone, "ann", "hand_over", NOW).post.is_deleted


def test_a_requested_hand_over_accepted_makes_the_coauthor_the_author() -> None:
    requested = succession.request_handover(POST, "ann", "cat", "h1", NOW).post
    change = succession.answer_handover(requested, "cat", "accepted", NOW)
    assert change.post.author_id == "cat"
    # The former author stays credited; everyone else too.
    assert sorted(change.post.accepted_ids) == ["ann", "bob"]
    assert succession.answer_handover(change.post, "cat", "accepted", NOW).post == change.post


def test_a_declined_hand_over_changes_nothing_else() -> None:
    requested = succession.request_handover(POST, "ann", "cat", "h1", NOW).post
    change = succession.answer_handover(requested, "cat", "declined", NOW)
    assert change.post.author_id == "ann"
    assert not change.events
    with pytest.raises(HandoverConflict):
        succession.answer_handover(change.post, "cat", "accepted", NOW)


def test_only_the_author_asks_only_accepted_coauthors_and_only_the_named_one_answers() -> None:
    with pytest.raises(NotPostAuthor):
        succession.request_handover(POST, "bob", "cat", "h1", NOW)
    for invalid in ("ivy", "eve", None):
        with pytest.raises(NotAnAcceptedCoauthor):
            succession.request_handover(POST, "ann", invalid, "h1", NOW)
    requested = succession.request_handover(POST, "ann", "cat", "h1", NOW).post
    for other in ("bob", "eve"):
        with pytest.raises(HandoverNotFound):
            succession.answer_handover(requested, other, "accepted", NOW)
    with pytest.raises(HandoverConflict):
        succession.request_handover(requested, "ann", "bob", "h2", NOW)


def test_a_cancelled_request_cannot_be_accepted() -> None:
    requested = succession.request_handover(POST, "ann", "cat", "h1", NOW).post
    cancelled = succession.cancel_handover(requested, "ann", NOW).post
    with pytest.raises(HandoverConflict):
        succession.answer_handover(cancelled, "cat", "accepted", NOW)


def test_only_the_author_chooses_for_a_post() -> None:
    assert succession.choose_keeping(POST, "ann", "hand_over").post.keep_on_author_deletion == (
        "hand_over"
    )
    with pytest.raises(NotPostAuthor):
        succession.choose_keeping(POST, "bob", "hand_over")
