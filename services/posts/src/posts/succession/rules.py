"""Handing a post over, pure: the author's request to an accepted co-author and its answers,
the author's choice for when their account goes, and the hand-over itself, after which the
co-author is the author and everything else (credits, counts, replies, remixes) stays."""

from dataclasses import replace
from datetime import datetime
from typing import Literal

from posts.core.rules import (
    Change,
    Coauthor,
    HandoverRequest,
    Post,
    PostNotFound,
    delete,
    require_author,
    require_visible,
    unchanged,
)
from posts.editing.rules import settle as edit_settle
from shared.events.posts import HandoverReason, PostHandedOver, PostHandoverRequested
from shared.events.users import KeepCoauthoredPosts
from shared.problems import Conflict, NotFound, Unprocessable

type HandoverAnswer = Literal["accepted", "declined"]


class HandoverNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No hand-over of this post waits for you.")


class HandoverConflict(Conflict):
    """A hand-over refused for the state of the post or of the request."""

    slug = "handover-conflict"


class NotAnAcceptedCoauthor(Unprocessable):
    def __init__(self) -> None:
        super().__init__("A post is handed over to one of its accepted co-authors only.")


def choose_keeping(post: Post | None, actor_id: str, keep: KeepCoauthoredPosts | None) -> Change:
    """The author's choice for this post (None: the account's setting decides)."""
    current = require_author(post, actor_id)
    return Change(replace(current, keep_on_author_deletion=keep))


def request_handover(
    post: Post | None, actor_id: str, to_user_id: str | None, request_id: str, now: datetime
) -> Change:
    current = require_author(post, actor_id)
    entry = current.coauthor(to_user_id) if to_user_id else None
    if entry is None or entry.status != "accepted":
        raise NotAnAcceptedCoauthor()
    if current.status != "published":
        raise HandoverConflict("A post is handed over once published.")
    if current.handover is not None and current.handover.status == "pending":
        if current.handover.to_user_id == entry.user_id:
            return unchanged(current)
        raise HandoverConflict("A hand-over of this post already waits for an answer.")
    request = HandoverRequest(request_id, entry.user_id, "pending", now)
    event = PostHandoverRequested(
        post_id=current.id,
        request_id=request_id,
        author_id=current.author_id,
        to_user_id=entry.user_id,
        requested_at=now,
    )
    return Change(replace(current, handover=request), (event,))


def answer_handover(
    post: Post | None, actor_id: str, answer: HandoverAnswer, now: datetime
) -> Change:
    """The named co-author accepts (becoming the author) or declines; the same answer again
    changes nothing, another is a conflict."""
    current = require_visible(post, actor_id)
    request = current.handover
    if request is None or request.to_user_id != actor_id:
        raise HandoverNotFound()
    if request.status == answer:
        return unchanged(current)
    if request.status != "pending":
        raise HandoverConflict(f"This hand-over is {request.status}.")
    answered = replace(current, handover=replace(request, status=answer, answered_at=now))
    if answer == "declined":
        return Change(answered)
    return hand_over(answered, actor_id, "accepted", now)


def cancel_handover(post: Post | None, actor_id: str, now: datetime) -> Change:
    current = require_author(post, actor_id)
    request = current.handover
    if request is None or request.status != "pending":
        return unchanged(current)
    return Change(replace(current, handover=replace(request, status="cancelled", answered_at=now)))


def author_account_deleted(post: Post, keep: KeepCoauthoredPosts, now: datetime) -> Change:
    """The post goes with its author, or, as chosen (for this post, else in the account's
    settings), passes to its earliest accepted co-author; with none, it goes."""
    choice = post.keep_on_author_deletion or keep
    accepted = [c for c in post.coauthors if c.status == "accepted"]
    if choice != "hand_over" or not accepted or post.status != "published":
        return delete(post, now)
    earliest = min(accepted, key=lambda c: (c.accepted_at or c.invited_at, c.user_id))
    return hand_over(post, earliest.user_id, "account_deleted", now)


def hand_over(post: Post, to_user_id: str, reason: HandoverReason, now: datetime) -> Change:
    """`to_user_id` becomes the author. Asked for and accepted, the former author stays on the
    post as an accepted co-author; with their account gone, they leave it."""
    entry = post.coauthor(to_user_id)
    if entry is None or entry.status != "accepted":
        raise PostNotFound()
    others = tuple(c for c in post.coauthors if c.user_id != to_user_id)
    former = post.former_coauthor_ids
    if reason == "accepted":
        # Their credit was never an invitation: it is known by the hand-over's id.
        credit_id = post.handover.id if post.handover else f"handover-{post.id}"
        stays = Coauthor(post.author_id, credit_id, "accepted", now, now)
        handed = replace(post, author_id=to_user_id, coauthors=(stays, *others))
    else:
        handed = replace(
            post,
            author_id=to_user_id,
            coauthors=others,
            former_coauthor_ids=former if post.author_id in former else (*former, post.author_id),
        )
    handed = replace(handed, keep_on_author_deletion=None)
    event = PostHandedOver(
        post_id=post.id,
        from_author_id=post.author_id,
        to_author_id=to_user_id,
        coauthor_ids=handed.accepted_ids,
        reason=reason,
        handed_over_at=now,
    )
    # The former author is no longer needed for an open edit (and withdraws the one they proposed).
    return Change(handed, (event,)).then(edit_settle(handed, now))
