"""The users rules, free of I/O: handles, display names, policies, eligibility, and the errors."""

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from shared.eligibility import IneligibilityReason, RemixRefusal
from shared.problems import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from shared.user_directory import RESERVED_HANDLES

HANDLE_PATTERN = re.compile(r"[a-z0-9_]{3,30}")
DISPLAY_NAME_MAX_LENGTH = 50
# How long a sign-in refused for want of a hashing slot should wait: about one hash's time.
BUSY_RETRY_AFTER_SECONDS = 1


class CollabPolicy(StrEnum):
    """Who may invite an account to co-author a post."""

    EVERYONE = "everyone"
    FOLLOWING = "following"  # only accounts the invitee follows
    NOBODY = "nobody"


DEFAULT_COLLAB_POLICY = CollabPolicy.FOLLOWING


class RemixPolicy(StrEnum):
    """Who may remix an account's posts (issue 13)."""

    EVERYONE = "everyone"  # anyone not blocked either way
    FOLLOWING = "following"  # only accounts the original's author follows
    NOBODY = "nobody"


class RemixApproval(StrEnum):
    """Whether a remix the policy admits shows its original at once or once approved."""

    AUTOMATIC = "automatic"
    MANUAL = "manual"


DEFAULT_REMIX_POLICY = RemixPolicy.EVERYONE
DEFAULT_REMIX_APPROVAL = RemixApproval.AUTOMATIC

# ISO 3166-1 alpha-2: the officially assigned codes.
_ISO_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK
    DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR
    GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM
    KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP
    MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
    PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST
    SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
    VI VN VU WF WS YE YT ZA ZM ZW"""
ISO_COUNTRIES = frozenset(_ISO_COUNTRY_CODES.split())


class CannotFollowSelf(Unprocessable):
    def __init__(self) -> None:
        super().__init__("You cannot follow yourself.")


class CannotBlockSelf(Unprocessable):
    def __init__(self) -> None:
        super().__init__("You cannot block yourself.")


class FollowBlocked(Forbidden):
    def __init__(self) -> None:
        super().__init__("A block between you and this account forbids following it.")


class HandleTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("This handle is already taken.")


class UnknownUser(NotFound):
    def __init__(self) -> None:
        super().__init__("No account has this handle.")


class WrongCredentials(Unauthorized):
    def __init__(self) -> None:
        super().__init__("The handle or the password is wrong.")


class LoginThrottled(TooManyRequests):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "Too many wrong passwords for this account; wait before trying again.",
            retry_after_seconds=retry_after_seconds,
        )


class HashingBusy(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "Too many sign-ins at once; try again shortly.",
            headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
        )


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


def normalize_country(raw: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper case; ValueError for anything else."""
    code = raw.strip().upper()
    if code not in ISO_COUNTRIES:
        raise ValueError("a country is an ISO 3166-1 alpha-2 code, such as FR or US")
    return code


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


@dataclass(frozen=True)
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
