"""Remix notifications (issue 13): who hears of a remix, and what withdraws a request."""

from datetime import UTC, datetime
from typing import Any

import pytest
from notifications_support import NotificationsHarness

from notifications.core.rules import (
    NewNotification,
    NotificationType,
    SubjectKind,
    Withdrawal,
    withdrawals_that_cover,
)
from notifications.handlers import reaction_to
from shared.events.posts import (
    PostRemixApproved,
    PostRemixRejected,
    PostRemixRemoved,
    PostRemixRequested,
    PostRemixRevoked,
    RemixEvent,
)
from shared.testing import ALICE, BOB, CAROL

T = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
REMIX = {
    "remix_id": "remix",
    "remix_author_id": "rex",
    "original_id": "orig",
    "original_author_id": "ann",
    "at": T,
}
REQUEST_ANSWERED = Withdrawal(SubjectKind.REMIX_REQUEST, "remix")


def notified(event: RemixEvent) -> list[tuple[str, NotificationType, str | None]]:
    return [(n.recipient_id, n.type, n.actor_id) for n in reaction_to(event).notifications]


def test_a_request_asks_every_author_of_the_original_but_the_remixer() -> None:
    event = PostRemixRequested(**REMIX, status="pending", answerer_ids=("ann", "cat", "rex"))
    assert notified(event) == [
        ("ann", NotificationType.REMIX_REQUESTED, "rex"),
        ("cat", NotificationType.REMIX_REQUESTED, "rex"),
    ]
    assert all(n.post_id == "remix" for n in reaction_to(event).notifications)


def test_an_automatic_approval_tells_the_originals_authors_a_manual_one_the_remixer() -> None:
    automatic = PostRemixApproved(
        **REMIX, status="approved", automatic=True, original_author_ids=("ann", "cat")
    )
    assert notified(automatic) == [
        ("ann", NotificationType.POST_REMIXED, "rex"),
        ("cat", NotificationType.POST_REMIXED, "rex"),
    ]
    manual = PostRemixApproved(**REMIX, status="approved", request_id="req", actor_id="cat")
    assert notified(manual) == [("rex", NotificationType.REMIX_APPROVED, "cat")]
    assert reaction_to(manual).withdrawals == (REQUEST_ANSWERED,)


@pytest.mark.parametrize(
    ("kind", "status", "notification"),
    [
        (PostRemixRejected, "rejected", NotificationType.REMIX_REJECTED),
        (PostRemixRevoked, "revoked", NotificationType.REMIX_REVOKED),
    ],
)
def test_a_refusal_or_revocation_tells_the_remixer_who_did_it(
    kind: type[RemixEvent], status: Any, notification: NotificationType
) -> None:
    event = kind(**REMIX, status=status, actor_id="ann")
    assert notified(event) == [("rex", notification, "ann")]
    assert reaction_to(event).withdrawals == (REQUEST_ANSWERED,)


def test_a_removed_remix_withdraws_its_request_and_notifies_nobody() -> None:
    reaction = reaction_to(PostRemixRemoved(**REMIX, status="removed"))
    assert reaction.notifications == ()
    assert reaction.withdrawals == (REQUEST_ANSWERED,)


def test_only_requests_are_covered_by_a_requests_withdrawal() -> None:
    def covered(kind: NotificationType) -> bool:
        notification = NewNotification("ann", kind, "rex", post_id="remix")
        return REQUEST_ANSWERED in withdrawals_that_cover(notification)

    assert covered(NotificationType.REMIX_REQUESTED)
    assert not covered(NotificationType.POST_REMIXED)
    assert not covered(NotificationType.REMIX_APPROVED)


# -- stored and withdrawn, against real RabbitMQ and MongoDB ----------------------------------


async def test_an_answered_request_leaves_the_other_answerers_lists_and_tells_the_remixer(
    notifications: NotificationsHarness,
) -> None:
    ids = {"remix_author_id": CAROL, "original_author_id": ALICE}
    request = PostRemixRequested(
        **{**REMIX, **ids}, status="pending", request_id="req", answerer_ids=(ALICE, BOB)
    )
    await notifications.events.publish(request)
    assert [n["type"] for n in (await notifications.notifications(BOB))["items"]] == [
        "remix.requested"
    ]
    approved = PostRemixApproved(**{**REMIX, **ids}, status="approved", actor_id=ALICE)
    await notifications.events.publish(approved)
    for answerer in (ALICE, BOB):
        assert (await notifications.notifications(answerer))["items"] == []
    (news,) = (await notifications.notifications(CAROL))["items"]
    assert (news["type"], news["actor"]["id"], news["post_id"]) == (
        "remix.approved",
        ALICE,
        "remix",
    )
    # A request redelivered after its answer stays withdrawn.
    await notifications.events.publish(request)
    assert (await notifications.notifications(BOB))["unread_count"] == 0
