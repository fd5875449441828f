"""The users rules on plain values: handles, display names, collab policy, eligibility."""

import pytest

from shared.eligibility import IneligibilityReason
from shared.problems import Forbidden, Unprocessable
from users.accounts.rules import normalize_display_name
from users.core.rules import (
    CollabPolicy,
    handle_or_none,
    normalize_handle,
    normalize_new_handle,
)
from users.eligibility.rules import EligibilityFacts, decide_eligibility, policy_allows
from users.relations.rules import ensure_may_block, ensure_may_follow


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("alice", "alice"),
        ("Alice_99", "alice_99"),
        ("abc", "abc"),
        ("a" * 30, "a" * 30),
        ("___", "___"),
    ],
)
def test_valid_handles_are_stored_in_lower_case(raw: str, stored: str) -> None:
    assert normalize_handle(raw) == stored


@pytest.mark.parametrize(
    "raw", ["ab", "a" * 31, "al ice", "alice!", "álice", "", " alice", "alice\n", "al-ice"]
)
def test_invalid_handles_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="handle"):
        normalize_handle(raw)
    assert handle_or_none(raw) is None


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Alice", "Alice"),
        ("  Alice Liddell  ", "Alice Liddell"),
        ("x", "x"),
        ("é" * 50, "é" * 50),
        # RFC 8266: spaces folded to one, width-mapped (NFKC).
        ("Ada  \u3000Lovelace", "Ada Lovelace"),
        ("李 🙂", "李 🙂"),
    ],
)
def test_display_names_are_trimmed(raw: str, stored: str) -> None:
    assert normalize_display_name(raw) == stored


@pytest.mark.parametrize("raw", ["", "   ", "x" * 51, "bad\x00name", "two\nlines"])
def test_invalid_display_names_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="display name"):
        normalize_display_name(raw)


# Names that render like another account's: zero-width, bidi overrides and isolates, marks.
IMPERSONATING_NAMES = [
    "Ali\u200bce",  # zero-width space
    "Ali\u200bce\u202e",  # the reviewed attack: zero-width space and right-to-left override
    "\u202eecilA",  # right-to-left override
    "Alice\u2066",  # left-to-right isolate
    "Al\u200dice",  # zero-width joiner
    "Alice\ufeff",  # byte-order mark (zero-width no-break space)
    "Alice\u200f",  # right-to-left mark
    "Ali\u2028ce",  # line separator
    "Ali\u0085ce",  # C1 control (next line)
    "Alice\ue000",  # private use
    # Issue 23: fillers that draw nothing.
    "\u3164",  # Hangul filler
    "\u115f",  # Hangul choseong filler
    "\u2800",  # Braille pattern blank
    "\u034f",  # combining grapheme joiner
    "\u3164\u2800 \u034f",
]


@pytest.mark.parametrize("raw", IMPERSONATING_NAMES)
def test_invisible_and_reordering_characters_are_refused_in_display_names(raw: str) -> None:
    with pytest.raises(ValueError, match="display name"):
        normalize_display_name(raw)


@pytest.mark.parametrize("raw", IMPERSONATING_NAMES)
def test_invisible_and_reordering_characters_are_refused_in_handles(raw: str) -> None:
    assert handle_or_none(raw.lower()) is None
    with pytest.raises(ValueError, match="handle"):
        normalize_new_handle(raw.lower())


def test_display_names_are_stored_in_nfc_so_lookalike_spellings_are_one() -> None:
    assert normalize_display_name("Zoe\u0301") == "Zo\u00e9"


@pytest.mark.parametrize(
    ("policy", "invitee_follows_inviter", "allowed"),
    [
        (CollabPolicy.EVERYONE, False, True),
        (CollabPolicy.EVERYONE, True, True),
        (CollabPolicy.FOLLOWING, True, True),
        (CollabPolicy.FOLLOWING, False, False),
        (CollabPolicy.NOBODY, True, False),
        (CollabPolicy.NOBODY, False, False),
    ],
)
def test_collab_policy(policy: CollabPolicy, invitee_follows_inviter: bool, allowed: bool) -> None:
    assert policy_allows(policy, invitee_follows_inviter=invitee_follows_inviter) is allowed


EVERYONE = CollabPolicy.EVERYONE
FOLLOWING = CollabPolicy.FOLLOWING
NOBODY = CollabPolicy.NOBODY
R = IneligibilityReason


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (EligibilityFacts(invitee_exists=True, invitee_policy=EVERYONE), None),
        (
            EligibilityFacts(
                invitee_exists=True, invitee_policy=FOLLOWING, invitee_follows_inviter=True
            ),
            None,
        ),
        (EligibilityFacts(invitee_exists=False), R.UNKNOWN_USER),
        (EligibilityFacts(invitee_exists=False, inviter_exists=False), R.UNKNOWN_USER),
        (EligibilityFacts(invitee_exists=True, is_self=True, invitee_policy=EVERYONE), R.SELF),
        (
            EligibilityFacts(invitee_exists=True, inviter_exists=False, invitee_policy=EVERYONE),
            R.INVITER_UNKNOWN,
        ),
        (
            EligibilityFacts(invitee_exists=True, blocked_either_way=True, invitee_policy=EVERYONE),
            R.BLOCKED,
        ),
        (
            EligibilityFacts(
                invitee_exists=True,
                blocked_either_way=True,
                invitee_follows_inviter=True,
                invitee_policy=FOLLOWING,
            ),
            R.BLOCKED,
        ),
        (
            EligibilityFacts(
                invitee_exists=True, invitee_policy=NOBODY, invitee_follows_inviter=True
            ),
            R.POLICY_NOBODY,
        ),
        (EligibilityFacts(invitee_exists=True, invitee_policy=FOLLOWING), R.POLICY_FOLLOWING),
        (EligibilityFacts(invitee_exists=True), R.POLICY_FOLLOWING),  # the default policy
    ],
)
def test_eligibility_decision(facts: EligibilityFacts, reason: IneligibilityReason | None) -> None:
    decision = decide_eligibility(facts)
    assert decision.reason == reason
    assert decision.eligible is (reason is None)


@pytest.mark.parametrize(
    ("is_self", "blocked", "problem"),
    [(False, False, None), (True, False, Unprocessable), (False, True, Forbidden)],
)
def test_who_may_follow(is_self: bool, blocked: bool, problem: type[Exception] | None) -> None:
    if problem is None:
        ensure_may_follow(is_self=is_self, blocked_either_way=blocked)
    else:
        with pytest.raises(problem):
            ensure_may_follow(is_self=is_self, blocked_either_way=blocked)


def test_blocking_yourself_is_unprocessable() -> None:
    with pytest.raises(Unprocessable):
        ensure_may_block(is_self=True)
    ensure_may_block(is_self=False)


@pytest.mark.parametrize("raw", ["deleted", "Unknown", "SYSTEM", "admin", "copost"])
def test_reserved_handles_cannot_be_registered(raw: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        normalize_new_handle(raw)


def test_an_ordinary_handle_can_be_registered() -> None:
    assert normalize_new_handle("Deleted_Scenes") == "deleted_scenes"
