"""Who may invite whom to co-author, and remix whose posts, free of I/O: the first failing rule
is the reason given to the asking service."""

from dataclasses import dataclass

from shared.eligibility import IneligibilityReason, RemixRefusal
from users.core.rules import (
    DEFAULT_COLLAB_POLICY,
    DEFAULT_REMIX_APPROVAL,
    DEFAULT_REMIX_POLICY,
    CollabPolicy,
    RemixApproval,
    RemixPolicy,
)


def policy_allows(policy: CollabPolicy, *, invitee_follows_inviter: bool) -> bool:
    match policy:
        case CollabPolicy.EVERYONE:
            return True
        case CollabPolicy.FOLLOWING:
            return invitee_follows_inviter
        case CollabPolicy.NOBODY:
            return False


@dataclass(frozen=True, slots=True)
class EligibilityFacts:
    """What is known about one (inviter, invitee) pair; fields about a missing invitee are moot."""

    invitee_exists: bool
    inviter_exists: bool = True
    is_self: bool = False
    blocked_either_way: bool = False
    invitee_follows_inviter: bool = False
    invitee_policy: CollabPolicy = DEFAULT_COLLAB_POLICY


@dataclass(frozen=True, slots=True)
class EligibilityDecision:
    eligible: bool
    reason: IneligibilityReason | None = None


ELIGIBLE = EligibilityDecision(eligible=True)


def decide_eligibility(facts: EligibilityFacts) -> EligibilityDecision:
    """May the inviter invite the invitee to co-author? The first failing rule is the reason."""
    reason = _first_ineligibility(facts)
    return ELIGIBLE if reason is None else EligibilityDecision(eligible=False, reason=reason)


def _first_ineligibility(facts: EligibilityFacts) -> IneligibilityReason | None:
    if not facts.invitee_exists:
        return IneligibilityReason.UNKNOWN_USER
    if facts.is_self:
        return IneligibilityReason.SELF
    if not facts.inviter_exists:
        return IneligibilityReason.INVITER_UNKNOWN
    if facts.blocked_either_way:
        return IneligibilityReason.BLOCKED
    if policy_allows(facts.invitee_policy, invitee_follows_inviter=facts.invitee_follows_inviter):
        return None
    if facts.invitee_policy is CollabPolicy.NOBODY:
        return IneligibilityReason.POLICY_NOBODY
    return IneligibilityReason.POLICY_FOLLOWING


@dataclass(frozen=True, slots=True)
class RemixFacts:
    """What is known about one (remixer, original author) pair."""

    remixer_exists: bool
    original_author_exists: bool
    is_self: bool = False
    # Between the remixer and the original's author or any of its credited co-authors.
    blocked_either_way: bool = False
    original_author_follows_remixer: bool = False
    policy: RemixPolicy = DEFAULT_REMIX_POLICY
    approval: RemixApproval = DEFAULT_REMIX_APPROVAL


@dataclass(frozen=True, slots=True)
class RemixDecision:
    approval: RemixApproval | None  # None: refused
    reason: RemixRefusal | None = None


def decide_remix_consent(facts: RemixFacts) -> RemixDecision:
    """May the remixer remix the original, and is it approved at once or asked for?

    Remixing one's own post needs nobody's consent; otherwise the first failing rule refuses.
    """
    refusal = _first_remix_refusal(facts)
    if refusal is not None:
        return RemixDecision(approval=None, reason=refusal)
    return RemixDecision(RemixApproval.AUTOMATIC if facts.is_self else facts.approval)


def _first_remix_refusal(facts: RemixFacts) -> RemixRefusal | None:
    if not facts.remixer_exists:
        return RemixRefusal.REMIXER_UNKNOWN
    if not facts.original_author_exists:
        return RemixRefusal.ORIGINAL_AUTHOR_UNKNOWN
    if facts.blocked_either_way:
        return RemixRefusal.BLOCKED
    if facts.is_self:
        return None
    match facts.policy:
        case RemixPolicy.EVERYONE:
            return None
        case RemixPolicy.FOLLOWING:
            return None if facts.original_author_follows_remixer else RemixRefusal.POLICY_FOLLOWING
        case RemixPolicy.NOBODY:
            return RemixRefusal.POLICY_NOBODY
