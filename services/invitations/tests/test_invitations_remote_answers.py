"""A remote invitee's answer, as its server gave it (the federation service's
federation.remote_invitation_answered): applied as the invitee's own accept or decline, only
while pending, once however often it comes; from anyone else, about no invitation, or after
the expiry, it changes nothing (an expired invitation stays expired)."""

from datetime import UTC, datetime
from uuid import uuid4

from invitations_support import HarnessFactory, InvitationsHarness

from shared.events.federation import RemoteInvitationAnswered
from shared.testing import BOB, CAROL, wait_until

# The invitee is BOB here: to the invitations service a remote account is a user like another.


def answered(
    invitation_id: str, invitee_id: str = BOB, *, accepted: bool = True
) -> RemoteInvitationAnswered:
    return RemoteInvitationAnswered(
        activity_id=f"https://remote.test/answers/{uuid4()}",
        invitation_id=invitation_id,
        invitee_id=invitee_id,
        accepted=accepted,
        answered_at=datetime.now(UTC),
    )


async def test_an_accept_from_the_invitees_server_accepts_once(
    invitations: InvitationsHarness,
) -> None:
    _, [invitation_id] = await invitations.invite([BOB])

    await invitations.events.publish(answered(invitation_id))
    await invitations.events.publish(answered(invitation_id))
    await invitations.events.publish(answered(invitation_id, accepted=False))

    assert await invitations.status_of(invitation_id) == "accepted"
    [accepted] = await invitations.recorder.wait_for("invitation.accepted")
    assert (accepted.data["invitation_id"], accepted.data["invitee_id"]) == (invitation_id, BOB)
    await wait_until(invitations.outbox_drained)
    assert len(invitations.recorder.of_type("invitation.accepted")) == 1
    assert invitations.recorder.of_type("invitation.declined") == []


async def test_a_reject_declines(invitations: InvitationsHarness) -> None:
    _, [invitation_id] = await invitations.invite([BOB])

    await invitations.events.publish(answered(invitation_id, accepted=False))

    assert await invitations.status_of(invitation_id) == "declined"
    [declined] = await invitations.recorder.wait_for("invitation.declined")
    assert declined.data["invitation_id"] == invitation_id


async def test_an_answer_for_another_invitee_or_no_invitation_changes_nothing(
    invitations: InvitationsHarness,
) -> None:
    _, [invitation_id] = await invitations.invite([BOB])

    await invitations.events.publish(answered(invitation_id, CAROL))
    await invitations.events.publish(answered(uuid4().hex))

    assert await invitations.status_of(invitation_id) == "pending"
    await wait_until(invitations.outbox_drained)
    assert invitations.recorder.of_type("invitation.accepted") == []


async def test_an_answer_after_the_expiry_leaves_the_invitation_expired(
    start_invitations: HarnessFactory,
) -> None:
    async with start_invitations(invitation_ttl_seconds=0.3) as invitations:
        _, [invitation_id] = await invitations.invite([BOB])
        doc = await invitations.db["invitations"].find_one({"_id": invitation_id})
        await wait_until(lambda: datetime.now(UTC) >= doc["expires_at"])

        await invitations.events.publish(answered(invitation_id))

        assert await invitations.status_of(invitation_id) == "expired"
        await invitations.recorder.wait_for("invitation.expired")
        await wait_until(invitations.outbox_drained)
        assert invitations.recorder.of_type("invitation.accepted") == []
