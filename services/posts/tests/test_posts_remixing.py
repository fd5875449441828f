"""The remix-request state machine (posts.remixing): every transition and every refused one."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from posts.authoring.rules import NewPostRequest, create_post
from posts.core.rules import Coauthor, Post, RemixLink
from posts.remixing import rules as remixing
from posts.remixing.rules import RemixAnswerConflict, RemixNotFound, RemixRequestNotFound
from shared.events.posts import RemixStatus

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ORIGINAL = Post(
    id="original",
    author_id="ann",
    text="the original",
    publish_mode="now",
    status="published",
    created_at=NOW,
    published_at=NOW,
    coauthors=(
        Coauthor("cat", "inv-1", "accepted", NOW, NOW),
        Coauthor("ivy", "inv-2", "invited", NOW),
    ),
)


def remix(status: RemixStatus, *, request_id: str | None = "req") -> Post:
    link = RemixLink("original", "ann", status, NOW, request_id=request_id)
    return Post(
        id="remix",
        author_id="rex",
        text="my take",
        publish_mode="now",
        status="published",
        created_at=NOW,
        published_at=NOW,
        remix_of=link,
    )


def status_of(post: Post) -> RemixStatus:
    assert post.remix_of is not None
    return post.remix_of.status


def test_the_original_author_and_accepted_coauthors_answer_invitees_do_not() -> None:
    assert remixing.answerers(ORIGINAL) == ("ann", "cat")
    assert remixing.may_answer(ORIGINAL, "cat")
    assert not remixing.may_answer(ORIGINAL, "ivy")
    assert not remixing.may_answer(replace(ORIGINAL, status="deleted"), "ann")
    assert not remixing.may_answer(None, "ann")


@pytest.mark.parametrize(("manual", "status"), [(False, "approved"), (True, "pending")])
def test_a_new_remix_is_approved_at_once_or_waits_for_an_answer(
    manual: bool, status: RemixStatus
) -> None:
    link = remixing.new_link(ORIGINAL, manual=manual, request_id="req", now=NOW)
    assert link.status == status
    assert link.request_id == ("req" if manual else None)


def test_creating_a_remix_asks_the_answerers_or_tells_them() -> None:
    for manual, event_type, field in [
        (True, "post.remix_requested", "answerer_ids"),
        (False, "post.remix_approved", "original_author_ids"),
    ]:
        link = remixing.new_link(ORIGINAL, manual=manual, request_id="req", now=NOW)
        change = create_post(
            post_id="remix",
            author_id="rex",
            request=NewPostRequest("my take", ()),
            publish_mode="now",
            invitees=[],
            now=NOW,
            remix_of=link,
        )
        created, published = change.events
        assert created.model_dump()["remix_of_post_id"] == "original"
        assert published.model_dump()["remix_status"] == link.status
        (event,) = remixing.creation_events(change.post, ORIGINAL)
        assert event.event_type == event_type
        assert event.model_dump()[field] == ("ann", "cat")


# -- answering a request -------------------------------------------------------------------

ANSWERS: list[tuple[RemixStatus, remixing.RemixAnswer, RemixStatus | type[Exception]]] = [
    ("pending", "approved", "approved"),
    ("pending", "rejected", "rejected"),
    ("approved", "approved", "approved"),  # the same answer again: nothing changes
    ("rejected", "rejected", "rejected"),
    ("approved", "rejected", RemixAnswerConflict),
    ("rejected", "approved", RemixAnswerConflict),
    ("revoked", "approved", RemixAnswerConflict),
    ("revoked", "rejected", RemixAnswerConflict),
    ("removed", "approved", RemixAnswerConflict),
    ("removed", "rejected", RemixAnswerConflict),
]


@pytest.mark.parametrize(("before", "answer", "after"), ANSWERS)
def test_answering_a_request(
    before: RemixStatus,
    answer: remixing.RemixAnswer,
    after: RemixStatus | type[Exception],
) -> None:
    def act() -> Post:
        change = remixing.answer_request(
            remix(before), "req", answer, actor_id="cat", actor_may_answer=True, now=NOW
        )
        if before == after:
            assert change.events == ()
        else:
            (event,) = change.events
            assert event.model_dump()["actor_id"] == "cat"
            assert event.model_dump()["status"] == after
        return change.post

    if isinstance(after, str):
        assert status_of(act()) == after
    else:
        with pytest.raises(after):
            act()


@pytest.mark.parametrize(
    ("post", "request_id", "may_answer"),
    [
        (remix("pending"), "req", False),  # not an author of the original
        (remix("pending"), "other", True),  # not this remix's request
        (replace(remix("pending"), status="deleted"), "req", True),  # the remix is gone
        (replace(remix("pending"), remix_of=None), "req", True),  # not a remix
        (None, "req", True),
    ],
)
def test_a_request_the_caller_may_not_answer_is_not_found(
    post: Post | None, request_id: str, may_answer: bool
) -> None:
    with pytest.raises(RemixRequestNotFound):
        remixing.answer_request(
            post, request_id, "approved", actor_id="x", actor_may_answer=may_answer, now=NOW
        )


# -- revoking and removing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("approved", "revoked"),
        ("revoked", "revoked"),
        ("pending", RemixAnswerConflict),
        ("rejected", RemixAnswerConflict),
        ("removed", RemixAnswerConflict),
    ],
)
def test_revoking(before: RemixStatus, after: RemixStatus | type[Exception]) -> None:
    if isinstance(after, str):
        change = remixing.revoke(remix(before), "original", actor_id="ann", now=NOW)
        assert status_of(change.post) == after
        assert [e.event_type for e in change.events] == (
            ["post.remix_revoked"] if before != after else []
        )
    else:
        with pytest.raises(after):
            remixing.revoke(remix(before), "original", actor_id="ann", now=NOW)


def test_revoking_automatic_approvals_too_and_only_remixes_of_that_original() -> None:
    automatic = remix("approved", request_id=None)
    assert status_of(remixing.revoke(automatic, "original", actor_id="cat", now=NOW).post) == (
        "revoked"
    )
    with pytest.raises(RemixNotFound):
        remixing.revoke(remix("approved"), "another", actor_id="ann", now=NOW)
    deleted = replace(remix("approved"), status="deleted")
    with pytest.raises(RemixNotFound):
        remixing.revoke(deleted, "original", actor_id="ann", now=NOW)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("pending", "removed"),
        ("approved", "removed"),
        ("rejected", "rejected"),
        ("revoked", "revoked"),
        ("removed", "removed"),
    ],
)
def test_deleting_the_original_removes_what_still_shows_or_waits(
    before: RemixStatus, after: RemixStatus
) -> None:
    change = remixing.remove(remix(before), "original", NOW)
    assert status_of(change.post) == after
    assert [e.event_type for e in change.events] == (
        ["post.remix_removed"] if before != after else []
    )


def test_removal_ignores_a_deleted_remix_and_other_originals() -> None:
    deleted = replace(remix("approved"), status="deleted")
    assert remixing.remove(deleted, "original", NOW).events == ()
    assert remixing.remove(remix("approved"), "another", NOW).events == ()
