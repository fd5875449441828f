"""The invitation lifecycle rules: who may move an invitation to which state, and what it emits.

Pure functions over plain values; no I/O. The state machine:
`pending -> accepted | declined | revoked | expired | cancelled`, every other state final,
except `accepted -> revoked` by the system (see SYSTEM_OVERRIDES).
Only the invitee accepts or declines (anyone else is told the invitation does not exist);
revocation, expiry and cancellation come from the system (events, the expiry scheduler).
Repeating the transition that produced the current state is an idempotent no-op; asking a
final invitation for a different answer is a conflict for a user, and moot for the system.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.events import EventData
from shared.events.invitations import (
    CancellationReason,
    InvitationAccepted,
    InvitationCancelled,
    InvitationCreated,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.problems import Conflict, Forbidden, NotFound


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class Transition(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    REVOKE = "revoke"
    EXPIRE = "expire"
    CANCEL = "cancel"


class Actor(StrEnum):
    INVITEE = "invitee"
    INVITER = "inviter"
    STRANGER = "stranger"
    # The service itself, acting on an event or on the clock.
    SYSTEM = "system"


class InvitationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such invitation.")


class InvitationAlreadyClosed(Conflict):
    def __init__(self, status: InvitationStatus) -> None:
        super().__init__(f"The invitation is already {status}.")
        self.current_status = status


class InvitationKeptChanging(Conflict):
    """Concurrent writes changed the invitation under every attempt to answer it."""

    def __init__(self) -> None:
        super().__init__("The invitation changed while being answered; try again.")


class InviteeNotEligible(Forbidden):
    def __init__(self) -> None:
        super().__init__("You can no longer accept this invitation; it has been cancelled.")


TARGET_STATUS: dict[Transition, InvitationStatus] = {
    Transition.ACCEPT: InvitationStatus.ACCEPTED,
    Transition.DECLINE: InvitationStatus.DECLINED,
    Transition.REVOKE: InvitationStatus.REVOKED,
    Transition.EXPIRE: InvitationStatus.EXPIRED,
    Transition.CANCEL: InvitationStatus.CANCELLED,
}

# A declined post.coauthor_removed (the invitee dropped itself on the post) is a system decline.
ALLOWED_ACTORS: dict[Transition, frozenset[Actor]] = {
    Transition.ACCEPT: frozenset({Actor.INVITEE}),
    Transition.DECLINE: frozenset({Actor.INVITEE, Actor.SYSTEM}),
    Transition.REVOKE: frozenset({Actor.SYSTEM}),
    Transition.EXPIRE: frozenset({Actor.SYSTEM}),
    Transition.CANCEL: frozenset({Actor.SYSTEM}),
}


# The posts service owns credits. When the author revokes an invitation on the post before
# posts sees its acceptance, posts drops the entry and ignores the late acceptance: the
# acceptance never became a credit, so the revocation wins here too. Only posts' revocation
# of an uncredited entry asks for REVOKE (a credited one is "removed"), so an accepted
# invitation is never revoked behind a credit.
SYSTEM_OVERRIDES = frozenset({(InvitationStatus.ACCEPTED, Transition.REVOKE)})


@dataclass(frozen=True)
class InvitationFacts:
    """What the rules need to know of an invitation."""

    id: str
    post_id: str
    inviter_id: str
    invitee_id: str
    status: InvitationStatus


@dataclass(frozen=True)
class Decision:
    """The state after a requested transition and the event it emits (None when unchanged)."""

    status: InvitationStatus
    event: EventData | None

    @property
    def changed(self) -> bool:
        return self.event is not None


def actor_of(invitation: InvitationFacts, user_id: str) -> Actor:
    if user_id == invitation.invitee_id:
        return Actor.INVITEE
    if user_id == invitation.inviter_id:
        return Actor.INVITER
    return Actor.STRANGER


def decide(
    invitation: InvitationFacts,
    transition: Transition,
    actor: Actor,
    *,
    at: datetime,
    cancel_reason: CancellationReason | None = None,
) -> Decision:
    """The outcome of `actor` asking for `transition`; raises a problem when it is refused."""
    if actor not in ALLOWED_ACTORS[transition]:
        raise InvitationNotFound()
    target = TARGET_STATUS[transition]
    current = invitation.status
    overrides = actor is Actor.SYSTEM and (current, transition) in SYSTEM_OVERRIDES
    if current is InvitationStatus.PENDING or overrides:
        return Decision(target, transition_event(invitation, target, at, cancel_reason))
    if current is target or actor is Actor.SYSTEM:
        # A repeated answer, a redelivered event, or an event about an already closed one.
        return Decision(current, None)
    raise InvitationAlreadyClosed(current)


def transition_event(
    invitation: InvitationFacts,
    status: InvitationStatus,
    at: datetime,
    cancel_reason: CancellationReason | None = None,
) -> EventData:
    ids = {
        "invitation_id": invitation.id,
        "post_id": invitation.post_id,
        "inviter_id": invitation.inviter_id,
        "invitee_id": invitation.invitee_id,
    }
    match status:
        case InvitationStatus.ACCEPTED:
            return InvitationAccepted(**ids, responded_at=at)
        case InvitationStatus.DECLINED:
            return InvitationDeclined(**ids, responded_at=at)
        case InvitationStatus.REVOKED:
            return InvitationRevoked(**ids, revoked_at=at)
        case InvitationStatus.EXPIRED:
            return InvitationExpired(**ids, expired_at=at)
        case InvitationStatus.CANCELLED:
            if cancel_reason is None:
                raise ValueError("a cancellation needs a reason")
            return InvitationCancelled(**ids, reason=cancel_reason, cancelled_at=at)
        case InvitationStatus.PENDING:
            raise ValueError("no transition leads back to pending")


def created_event(
    invitation: InvitationFacts, created_at: datetime, expires_at: datetime, *, post_text: str = ""
) -> InvitationCreated:
    return InvitationCreated(
        invitation_id=invitation.id,
        post_id=invitation.post_id,
        inviter_id=invitation.inviter_id,
        invitee_id=invitation.invitee_id,
        created_at=created_at,
        expires_at=expires_at,
        post_text=post_text,
    )


def expiry_of(created_at: datetime, ttl_seconds: float) -> datetime:
    return created_at + timedelta(seconds=ttl_seconds)


def is_due(expires_at: datetime, now: datetime) -> bool:
    """Past its expiry, even if the scheduler has not swept it yet."""
    return expires_at <= now
