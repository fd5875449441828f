"""The users rules, free of I/O: handles, display names, collab policy and invite eligibility."""

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from shared.eligibility import IneligibilityReason
from shared.problems import Forbidden, Unprocessable
from shared.user_directory import RESERVED_HANDLES

HANDLE_PATTERN = re.compile(r"[a-z0-9_]{3,30}")
DISPLAY_NAME_MAX_LENGTH = 50


class CollabPolicy(StrEnum):
    """Who may invite an account to co-author a post."""

    EVERYONE = "everyone"
    FOLLOWING = "following"  # only accounts the invitee follows
    NOBODY = "nobody"


DEFAULT_COLLAB_POLICY = CollabPolicy.FOLLOWING


class CannotFollowSelf(Unprocessable):
    def __init__(self) -> None:
        super().__init__("You cannot follow yourself.")


class CannotBlockSelf(Unprocessable):
    def __init__(self) -> None:
        super().__init__("You cannot block yourself.")


class FollowBlocked(Forbidden):
    def __init__(self) -> None:
        super().__init__("A block between you and this account forbids following it.")


def normalize_handle(raw: str) -> str:
    """The stored form of a handle (lower case); ValueError when it is not a valid handle."""
    handle = raw.lower()
    if not HANDLE_PATTERN.fullmatch(handle):
        raise ValueError("a handle is 3 to 30 characters of a-z, 0-9 and _")
    return handle


def normalize_new_handle(raw: str) -> str:
    """A handle an account may register: valid, and not one the system reserves."""
    handle = normalize_handle(raw)
    if handle in RESERVED_HANDLES:
        raise ValueError("this handle is reserved")
    return handle


def handle_or_none(raw: str) -> str | None:
    """The stored form of a handle, or None for a string no account can have as handle."""
    try:
        return normalize_handle(raw)
    except ValueError:
        return None


# Control (Cc), format (Cf: zero-width, bidirectional overrides and isolates), line and
# paragraph separators, surrogates, private-use and unassigned characters: a name carrying
# them can look like another account's ("Ali\u200bce", "\u202eecilA").
_REFUSED_IN_NAMES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def normalize_display_name(raw: str) -> str:
    """NFC, trimmed, 1 to 50 characters, nothing invisible or reordering; ValueError otherwise."""
    name = unicodedata.normalize("NFC", raw).strip()
    if not 1 <= len(name) <= DISPLAY_NAME_MAX_LENGTH:
        raise ValueError(f"a display name is 1 to {DISPLAY_NAME_MAX_LENGTH} characters")
    if any(unicodedata.category(char) in _REFUSED_IN_NAMES for char in name):
        raise ValueError(
            "a display name cannot contain control, zero-width or bidirectional-override characters"
        )
    return name


def ensure_may_follow(*, is_self: bool, blocked_either_way: bool) -> None:
    if is_self:
        raise CannotFollowSelf()
    if blocked_either_way:
        raise FollowBlocked()


def ensure_may_block(*, is_self: bool) -> None:
    if is_self:
        raise CannotBlockSelf()


class CannotMuteSelf(Unprocessable):
    def __init__(self) -> None:
        super().__init__("You cannot mute yourself.")


def ensure_may_mute(*, is_self: bool) -> None:
    if is_self:
        raise CannotMuteSelf()


def policy_allows(policy: CollabPolicy, *, invitee_follows_inviter: bool) -> bool:
    match policy:
        case CollabPolicy.EVERYONE:
            return True
        case CollabPolicy.FOLLOWING:
            return invitee_follows_inviter
        case CollabPolicy.NOBODY:
            return False


@dataclass(frozen=True)
class EligibilityFacts:
    """What is known about one (inviter, invitee) pair; fields about a missing invitee are moot."""

    invitee_exists: bool
    inviter_exists: bool = True
    is_self: bool = False
    blocked_either_way: bool = False
    invitee_follows_inviter: bool = False
    invitee_policy: CollabPolicy = DEFAULT_COLLAB_POLICY


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class LoginBackoff:
    """Wrong passwords in a row on one account make each further attempt wait, doubling."""

    free_failures: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 900.0

    def wait_after(self, failures: int) -> float:
        """How long the account refuses sign-ins after its `failures`-th wrong password."""
        if failures < self.free_failures:
            return 0.0
        doubled = self.base_seconds * 2.0 ** (failures - self.free_failures)
        return min(self.max_seconds, doubled)
