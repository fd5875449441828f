"""The invitation state machine, table by table: every transition and every refused one."""

from datetime import UTC, datetime
from itertools import product

import pytest

from invitations.coauthoring.rules import transition_for_removal
from invitations.core.rules import (
    Actor,
    InvitationAlreadyClosed,
    InvitationFacts,
    InvitationNotFound,
    InvitationStatus,
    Transition,
    actor_of,
    decide,
    expiry_of,
    is_due,
)
from shared.events import EventData
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

S = InvitationStatus
T = Transition
A = Actor


def invitation(status: InvitationStatus) -> InvitationFacts:
    return InvitationFacts("inv1", "post1", "alice", "bob", status)


# (from, transition, actor) -> (to, event emitted)
CHANGES = [
    (S.PENDING, T.ACCEPT, A.INVITEE, S.ACCEPTED, InvitationAccepted),
    (S.PENDING, T.DECLINE, A.INVITEE, S.DECLINED, InvitationDeclined),
    (S.PENDING, T.DECLINE, A.SYSTEM, S.DECLINED, InvitationDeclined),
    (S.PENDING, T.REVOKE, A.SYSTEM, S.REVOKED, InvitationRevoked),
    (S.PENDING, T.EXPIRE, A.SYSTEM, S.EXPIRED, InvitationExpired),
    (S.PENDING, T.CANCEL, A.SYSTEM, S.CANCELLED, InvitationCancelled),
    # The author revoked the invitation on the post before posts saw the acceptance: the
    # acceptance never became a credit, and the revocation wins.
    (S.ACCEPTED, T.REVOKE, A.SYSTEM, S.REVOKED, InvitationRevoked),
]

# The same answer again, or a redelivered event: the state stays, nothing is emitted.
REPEATS = [
    (S.ACCEPTED, T.ACCEPT, A.INVITEE),
    (S.DECLINED, T.DECLINE, A.INVITEE),
    (S.DECLINED, T.DECLINE, A.SYSTEM),
    (S.REVOKED, T.REVOKE, A.SYSTEM),
    (S.EXPIRED, T.EXPIRE, A.SYSTEM),
    (S.CANCELLED, T.CANCEL, A.SYSTEM),
]

# The invitee asking a closed invitation for a different answer.
CONFLICTS = [
    (S.ACCEPTED, T.DECLINE),
    (S.DECLINED, T.ACCEPT),
    (S.REVOKED, T.ACCEPT),
    (S.REVOKED, T.DECLINE),
    (S.EXPIRED, T.ACCEPT),
    (S.EXPIRED, T.DECLINE),
    (S.CANCELLED, T.ACCEPT),
    (S.CANCELLED, T.DECLINE),
]

# An event or the clock reaching an invitation already closed otherwise: moot, not an error.
SYSTEM_NO_OPS = [
    (status, transition)
    for status, transition in product(
        [S.ACCEPTED, S.DECLINED, S.REVOKED, S.EXPIRED, S.CANCELLED],
        [T.DECLINE, T.REVOKE, T.EXPIRE, T.CANCEL],
    )
    if (status, transition, A.SYSTEM) not in REPEATS
    and (status, transition, A.SYSTEM) not in [(s, t, a) for s, t, a, *_ in CHANGES]
]

# Who may not ask for a transition at all: told the invitation does not exist, in any state.
REFUSED_ACTORS = [
    (T.ACCEPT, A.INVITER),
    (T.ACCEPT, A.STRANGER),
    (T.ACCEPT, A.SYSTEM),
    (T.DECLINE, A.INVITER),
    (T.DECLINE, A.STRANGER),
    (T.REVOKE, A.INVITEE),
    (T.REVOKE, A.INVITER),
    (T.REVOKE, A.STRANGER),
    (T.EXPIRE, A.INVITEE),
    (T.EXPIRE, A.INVITER),
    (T.EXPIRE, A.STRANGER),
    (T.CANCEL, A.INVITEE),
    (T.CANCEL, A.INVITER),
    (T.CANCEL, A.STRANGER),
]
REFUSED = [(status, t, a) for status in S for t, a in REFUSED_ACTORS]


@pytest.mark.parametrize(("current", "transition", "actor", "target", "event_type"), CHANGES)
def test_an_allowed_transition_moves_to_the_target_state_and_emits_its_event(
    current: InvitationStatus,
    transition: Transition,
    actor: Actor,
    target: InvitationStatus,
    event_type: type[EventData],
) -> None:
    decision = decide(invitation(current), transition, actor, at=NOW, cancel_reason="post_deleted")
    assert decision.status is target
    assert isinstance(decision.event, event_type)
    announced = decision.event.model_dump()
    assert (announced["invitation_id"], announced["invitee_id"]) == ("inv1", "bob")


@pytest.mark.parametrize(("current", "transition", "actor"), REPEATS)
def test_repeating_the_transition_that_closed_it_is_an_idempotent_no_op(
    current: InvitationStatus, transition: Transition, actor: Actor
) -> None:
    decision = decide(invitation(current), transition, actor, at=NOW, cancel_reason="blocked")
    assert decision.status is current
    assert decision.event is None
    assert not decision.changed


@pytest.mark.parametrize(("current", "transition"), CONFLICTS)
def test_a_different_answer_to_a_closed_invitation_is_a_conflict(
    current: InvitationStatus, transition: Transition
) -> None:
    with pytest.raises(InvitationAlreadyClosed) as raised:
        decide(invitation(current), transition, A.INVITEE, at=NOW)
    assert raised.value.status == 409
    assert raised.value.current_status is current


@pytest.mark.parametrize(("current", "transition"), SYSTEM_NO_OPS)
def test_a_system_transition_on_an_otherwise_closed_invitation_changes_nothing(
    current: InvitationStatus, transition: Transition
) -> None:
    decision = decide(invitation(current), transition, A.SYSTEM, at=NOW, cancel_reason="blocked")
    assert decision.status is current
    assert decision.event is None


@pytest.mark.parametrize(("current", "transition", "actor"), REFUSED)
def test_whoever_may_not_ask_is_told_the_invitation_does_not_exist(
    current: InvitationStatus, transition: Transition, actor: Actor
) -> None:
    with pytest.raises(InvitationNotFound) as raised:
        decide(invitation(current), transition, actor, at=NOW, cancel_reason="blocked")
    assert raised.value.status == 404


def test_the_tables_cover_every_status_transition_and_actor_exactly_once() -> None:
    covered = [(s, t, a) for s, t, a, *_ in CHANGES]
    covered += REPEATS
    covered += [(s, t, A.INVITEE) for s, t in CONFLICTS]
    covered += [(s, t, A.SYSTEM) for s, t in SYSTEM_NO_OPS]
    covered += REFUSED
    assert sorted(covered) == sorted(product(S, T, A))


def test_a_cancellation_carries_its_reason() -> None:
    decision = decide(invitation(S.PENDING), T.CANCEL, A.SYSTEM, at=NOW, cancel_reason="ineligible")
    assert isinstance(decision.event, InvitationCancelled)
    assert decision.event.reason == "ineligible"
    assert decision.event.cancelled_at == NOW


@pytest.mark.parametrize(
    ("user_id", "actor"),
    [("bob", A.INVITEE), ("alice", A.INVITER), ("carol", A.STRANGER)],
)
def test_the_caller_is_invitee_inviter_or_stranger(user_id: str, actor: Actor) -> None:
    assert actor_of(invitation(S.PENDING), user_id) is actor


@pytest.mark.parametrize(
    ("removal_reason", "transition", "cancel_reason"),
    [
        ("revoked", T.REVOKE, None),
        ("declined", T.DECLINE, None),
        ("blocked", T.CANCEL, "blocked"),
        ("account_deleted", T.CANCEL, "account_deleted"),
        ("removed", T.CANCEL, "coauthor_removed"),
        ("left", T.CANCEL, "coauthor_removed"),
        ("a_reason_added_later", T.CANCEL, "coauthor_removed"),
    ],
)
def test_a_removed_coauthor_closes_its_pending_invitation_by_the_reason(
    removal_reason: str, transition: Transition, cancel_reason: str | None
) -> None:
    assert transition_for_removal(removal_reason) == (transition, cancel_reason)


def test_an_invitation_is_due_from_its_expiry_on() -> None:
    expires_at = expiry_of(NOW, 14 * 24 * 3600)
    assert expires_at == datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
    assert not is_due(expires_at, NOW)
    assert is_due(expires_at, expires_at)
