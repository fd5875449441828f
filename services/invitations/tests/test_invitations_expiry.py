"""Expiry: the scheduler expires unanswered invitations once, however many sweeps race."""

import asyncio
from datetime import UTC, datetime

from invitations_support import HarnessFactory

from invitations.expiry.commands import ExpiryCommands
from shared.testing import BOB, wait_until

SHORT_TTL_SECONDS = 0.3


async def test_the_scheduler_expires_an_unanswered_invitation(
    start_invitations: HarnessFactory,
) -> None:
    async with start_invitations(
        invitation_ttl_seconds=SHORT_TTL_SECONDS, expiry_sweep_seconds=0.1
    ) as invitations:
        _, [invitation_id] = await invitations.invite([BOB])

        async def expired() -> bool:
            return await invitations.status_of(invitation_id) == "expired"

        await wait_until(expired)
        [event] = await invitations.recorder.wait_for("invitation.expired")
        assert event.data["invitation_id"] == invitation_id
        body = (await invitations.get(invitation_id, BOB)).json()
        assert body["status"] == "expired"
        assert (await invitations.answer(invitation_id, BOB, "accept")).status_code == 409


async def test_concurrent_sweeps_expire_an_invitation_exactly_once(
    start_invitations: HarnessFactory,
) -> None:
    async with start_invitations(invitation_ttl_seconds=SHORT_TTL_SECONDS) as invitations:
        _, [invitation_id] = await invitations.invite([BOB])
        doc = await invitations.db["invitations"].find_one({"_id": invitation_id})
        await wait_until(lambda: datetime.now(UTC) >= doc["expires_at"])
        components = invitations.app.state.runtime.components
        replica_sweep: ExpiryCommands = components.expiry
        other_replica_sweep = ExpiryCommands(
            replica_sweep.repository, replica_sweep.invitations, batch_size=100
        )

        expired = await asyncio.gather(replica_sweep.expire_due(), other_replica_sweep.expire_due())

        assert sum(expired) == 1
        assert await invitations.status_of(invitation_id) == "expired"
        await invitations.recorder.wait_for("invitation.expired")
        await wait_until(invitations.outbox_drained)
        assert len(invitations.recorder.of_type("invitation.expired")) == 1


async def test_accepting_past_the_expiry_before_the_sweep_expires_it_and_conflicts(
    start_invitations: HarnessFactory,
) -> None:
    async with start_invitations(invitation_ttl_seconds=SHORT_TTL_SECONDS) as invitations:
        _, [invitation_id] = await invitations.invite([BOB])
        doc = await invitations.db["invitations"].find_one({"_id": invitation_id})
        await wait_until(lambda: datetime.now(UTC) >= doc["expires_at"])

        response = await invitations.answer(invitation_id, BOB, "accept")

        assert response.status_code == 409
        assert await invitations.status_of(invitation_id) == "expired"
        [event] = await invitations.recorder.wait_for("invitation.expired")
        assert event.data["invitation_id"] == invitation_id
        assert invitations.recorder.of_type("invitation.accepted") == []
