"""Edit notifications on the real broker and MongoDB: approvers hear of a proposal, credited
authors of its outcome, and whoever liked, replied to or remixed the post hears once of an
applied edit, however often its event arrives."""

from datetime import UTC, datetime

from notifications_support import NotificationsHarness

from shared.events import make_event
from shared.events.posts import (
    PostCounts,
    PostEdited,
    PostEditEnded,
    PostEditProposed,
    PostHandedOver,
    PostHandoverRequested,
    PostLiked,
    PostRemixApproved,
    PostReplied,
)
from shared.testing import ALICE, BOB, CAROL

T = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
COUNTS = PostCounts(like_count=1, reply_count=0, version=1)
DAN, EVE, FAY = "dan", "eve", "fay"


def applied(post: str = "p1") -> PostEdited:
    return PostEdited(
        post_id=post,
        edit_id="e1",
        proposer_id=ALICE,
        author_id=ALICE,
        coauthor_ids=(BOB, CAROL),
        text="fixed",
        version=2,
        edited_at=T,
    )


async def test_approvers_hear_of_a_proposal_and_authors_of_its_outcomes(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(
        PostEditProposed(
            post_id="p1",
            edit_id="e1",
            proposer_id=ALICE,
            approver_ids=(BOB, CAROL),
            text="fixed",
            proposed_at=T,
            expires_at=T,
        ),
        PostEditEnded(
            post_id="p1",
            edit_id="e1",
            proposer_id=ALICE,
            status="rejected",
            actor_id=CAROL,
            author_ids=(ALICE, BOB, CAROL),
            ended_at=T,
        ),
    )
    assert sorted(await notifications.types(BOB)) == ["post.edit_proposed", "post.edit_rejected"]
    assert await notifications.types(CAROL) == ["post.edit_proposed"]
    assert await notifications.types(ALICE) == ["post.edit_rejected"]


async def test_everyone_who_engaged_hears_once_of_an_applied_edit(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(
        PostLiked(
            post_id="p1",
            liker_id=DAN,
            author_ids=(ALICE,),
            like_seq=1,
            counts=COUNTS,
            liked_at=T,
        ),
        PostReplied(
            post_id="p1",
            reply_id="r1",
            replier_id=EVE,
            author_ids=(ALICE,),
            counts=COUNTS,
            replied_at=T,
        ),
        PostRemixApproved(
            remix_id="r2",
            remix_author_id=FAY,
            original_id="p1",
            original_author_id=ALICE,
            status="approved",
            at=T,
        ),
        PostLiked(
            post_id="p1",
            liker_id=BOB,
            author_ids=(ALICE,),
            like_seq=1,
            counts=COUNTS,
            liked_at=T,
        ),
    )
    edited = make_event(applied(), producer="posts")
    await notifications.events.deliver(edited, edited)
    for engager in (DAN, EVE, FAY):
        assert (await notifications.types(engager)).count("post.edited") == 1
    # Co-authors hear that it applied, not that it was edited; the proposer nothing.
    assert "post.edited" not in await notifications.types(BOB)
    assert (await notifications.types(BOB)).count("post.edit_applied") == 1
    assert "post.edit_applied" not in await notifications.types(ALICE)
    [shown] = [
        n for n in (await notifications.notifications(DAN))["items"] if n["type"] == "post.edited"
    ]
    assert shown["preview"] == "fixed"


async def test_hand_overs_tell_the_coauthor_asked_then_the_new_author_and_coauthors(
    notifications: NotificationsHarness,
) -> None:
    await notifications.events.publish(
        PostHandoverRequested(
            post_id="p1", request_id="h1", author_id=ALICE, to_user_id=BOB, requested_at=T
        ),
        PostHandedOver(
            post_id="p1",
            from_author_id=ALICE,
            to_author_id=BOB,
            coauthor_ids=(ALICE, CAROL),
            reason="accepted",
            handed_over_at=T,
        ),
    )
    assert sorted(await notifications.types(BOB)) == ["post.handed_over", "post.handover_requested"]
    assert await notifications.types(CAROL) == ["post.handed_over"]
    assert await notifications.types(ALICE) == []
