"""The remix rules, pure: a remix's link to its original and how it moves.

A remix is a post whose `remix_of` link names its original. The link is part of the remix's
document, so every answer is one conditional write of the remix with its event. Statuses
only move forward: pending -> approved | rejected | removed, approved -> revoked | removed.
Who may answer is read from the original: its author and accepted co-authors, now.
"""

from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from posts.core.rules import Change, Post, RemixLink, unchanged
from shared.eligibility import RemixConsent
from shared.events import EventData
from shared.events.posts import (
    PostRemixApproved,
    PostRemixRejected,
    PostRemixRemoved,
    PostRemixRequested,
    PostRemixRevoked,
    RemixEvent,
    RemixStatus,
)
from shared.problems import Conflict, Forbidden, NotFound
from shared.remote_accounts import is_remote_user_id


class RemixNotAllowed(Forbidden):
    def __init__(self, reason: str) -> None:
        super().__init__(f"The original's authors do not allow this remix ({reason}).")


class RemixRequestNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such remix request.")


class RemixNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("That post is not a remix of this post.")


class NotAnOriginalAuthor(Forbidden):
    def __init__(self) -> None:
        super().__init__("Only the original's author or co-authors may revoke a remix.")


class RemixAnswerConflict(Conflict):
    def __init__(self, status: RemixStatus) -> None:
        super().__init__(f"This remix is already {status}.")


type RemixAnswer = Literal["approved", "rejected"]
REMIX_STATUSES: tuple[RemixStatus, ...] = ("pending", "approved", "rejected", "revoked", "removed")


def answerers(original: Post) -> tuple[str, ...]:
    """Who may answer requests to remix the original, and revoke its remixes: nobody here for
    a remote account's post (its own server answers, through the federation service)."""
    if is_remote_user_id(original.author_id):
        return ()
    return (original.author_id, *original.accepted_ids)


def may_answer(original: Post | None, user_id: str) -> bool:
    return original is not None and not original.is_deleted and user_id in answerers(original)


def new_link(original: Post, *, manual: bool, request_id: str | None, now: datetime) -> RemixLink:
    return RemixLink(
        original_id=original.id,
        original_author_id=original.author_id,
        status="pending" if manual else "approved",
        requested_at=now,
        request_id=request_id if manual else None,
    )


def quote_link(
    original: Post, consent: RemixConsent, *, request_id: str, now: datetime
) -> RemixLink:
    """A remote account's quote of a local post, as its authors' settings admit it (as a local
    remix would be). Refused, or of a post no longer published, it is `rejected` at once: the
    remix exists anyway (it is a post on its own server), showing no original."""
    if not consent.allowed or original.status != "published":
        return replace(
            new_link(original, manual=False, request_id=None, now=now), status="rejected"
        )
    manual = consent.approval == "manual"
    return new_link(original, manual=manual, request_id=request_id, now=now)


def creation_events(remix: Post, original: Post) -> tuple[EventData, ...]:
    """A remix admitted at once tells the original's authors; one awaiting approval asks them;
    a remote quote refused at once says so (its server is told)."""
    link = remix.remix_of
    assert link is not None
    if link.status == "rejected":
        return (_event(PostRemixRejected, remix, link),)
    if link.status == "approved":
        approved = _event(
            PostRemixApproved, remix, link, automatic=True, original_author_ids=answerers(original)
        )
        return (approved,)
    return (_event(PostRemixRequested, remix, link, answerer_ids=answerers(original)),)


def answer_request(
    remix: Post | None,
    request_id: str,
    answer: RemixAnswer,
    *,
    actor_id: str,
    actor_may_answer: bool,
    now: datetime,
) -> Change:
    """The first answer stands: the same answer again changes nothing, another is a 409."""
    link = remix.remix_of if remix is not None and not remix.is_deleted else None
    if remix is None or link is None or link.request_id != request_id or not actor_may_answer:
        raise RemixRequestNotFound()
    if link.status == answer:
        return unchanged(remix)
    if link.status != "pending":
        raise RemixAnswerConflict(link.status)
    return _move(remix, link, answer, actor_id, now)


def revoke(
    remix: Post | None,
    original_id: str,
    *,
    actor_id: str,
    now: datetime,
) -> Change:
    """An approved remix stops showing its original; revoking again changes nothing."""
    link = remix.remix_of if remix is not None and not remix.is_deleted else None
    if remix is None or link is None or link.original_id != original_id:
        raise RemixNotFound()
    if link.status == "revoked":
        return unchanged(remix)
    if link.status != "approved":
        raise RemixAnswerConflict(link.status)
    return _move(remix, link, "revoked", actor_id, now)


type OriginsWord = Literal["approved", "rejected", "revoked"]
# The remote original's server answers a pending request and revokes an approved remix only.
_ORIGINS_WORD_MOVES_FROM: dict[OriginsWord, RemixStatus] = {
    "approved": "pending",
    "rejected": "pending",
    "revoked": "approved",
}


def origins_word(
    remix: Post, original_id: str, original_author_id: str, word: OriginsWord, now: datetime
) -> Change:
    """A local remix of a remote post, as that post's author decided on their own server
    (FEP-044f: an authorization, a Reject, its Delete). A word about another original or
    from anyone else, or that does not follow from where the remix stands (repeated, late),
    changes nothing."""
    link = remix.remix_of
    if remix.is_deleted or link is None or link.original_id != original_id:
        return unchanged(remix)
    if link.original_author_id != original_author_id:
        return unchanged(remix)
    if link.status != _ORIGINS_WORD_MOVES_FROM[word]:
        return unchanged(remix)
    return _move(remix, link, word, original_author_id, now)


def remove(remix: Post, original_id: str, now: datetime) -> Change:
    """The original was deleted: a remix still showing it, or waiting to, shows it no more."""
    link = remix.remix_of
    if remix.is_deleted or link is None or link.original_id != original_id:
        return unchanged(remix)
    if link.status not in ("pending", "approved"):
        return unchanged(remix)
    return _move(remix, link, "removed", None, now)


_EVENTS: dict[RemixStatus, type[RemixEvent]] = {
    "approved": PostRemixApproved,
    "rejected": PostRemixRejected,
    "revoked": PostRemixRevoked,
    "removed": PostRemixRemoved,
}


def _move(
    remix: Post, link: RemixLink, status: RemixStatus, actor_id: str | None, now: datetime
) -> Change:
    moved = replace(link, status=status, answered_by=actor_id, answered_at=now)
    updated = replace(remix, remix_of=moved)
    return Change(updated, (_event(_EVENTS[status], updated, moved),))


def _event[E: RemixEvent](kind: type[E], remix: Post, link: RemixLink, **extra: Any) -> E:
    return kind(
        remix_id=remix.id,
        remix_author_id=remix.author_id,
        original_id=link.original_id,
        original_author_id=link.original_author_id,
        status=link.status,
        request_id=link.request_id,
        actor_id=link.answered_by,
        at=link.answered_at or link.requested_at,
        **extra,
    )
