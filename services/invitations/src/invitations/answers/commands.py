"""The invitee's answers: accept (re-asking the users service whether it still may) or decline."""

import logging
from dataclasses import dataclass
from datetime import datetime

from invitations.core.commands import InvitationCommands
from invitations.core.repository import InvitationRecord, InvitationRepository
from invitations.core.rules import (
    InvitationAlreadyClosed,
    InvitationKeptChanging,
    InvitationNotFound,
    InviteeNotEligible,
    Transition,
    actor_of,
    decide,
    is_due,
)
from shared.clock import Clock, utc_now
from shared.events.federation import RemoteInvitationAnswered
from shared.internal_http import EligibilityClient
from shared.subscriptions import Delivery

log = logging.getLogger(__name__)

# An answer re-reads and re-decides when a concurrent write changed the invitation under it.
ANSWER_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class AnswerCommands:
    repository: InvitationRepository
    invitations: InvitationCommands
    eligibility: EligibilityClient
    clock: Clock = utc_now

    async def answer(
        self, invitation_id: str, user_id: str, transition: Transition
    ) -> InvitationRecord:
        """Accept or decline on behalf of `user_id`; the invitation as it stands afterwards."""
        for _ in range(ANSWER_ATTEMPTS):
            record = await self.repository.get(invitation_id)
            if record is None:
                raise InvitationNotFound()
            now = self.clock()
            decision = decide(record.facts, transition, actor_of(record.facts, user_id), at=now)
            if not decision.changed:
                return record
            if is_due(record.expires_at, now):
                # The scheduler has not swept it yet; expire it here and decide again.
                await self.invitations.close(record.id, Transition.EXPIRE, at=now)
                continue
            if transition is Transition.ACCEPT:
                await self._require_eligible(record, now)
            if await self.invitations.write(record, decision, now):
                return await self._reread(invitation_id)
        raise InvitationKeptChanging()

    async def remote_answered(self, delivery: Delivery[RemoteInvitationAnswered]) -> None:
        """A remote invitee's answer from its server, applied as its own: what a user would be
        told is a conflict (answered, expired, closed) or a refusal is dropped here, since the
        remote server was already told 202 and nobody waits for the outcome."""
        answered = delivery.event
        transition = Transition.ACCEPT if answered.accepted else Transition.DECLINE
        try:
            await self.answer(answered.invitation_id, answered.invitee_id, transition)
        except (InvitationNotFound, InvitationAlreadyClosed, InviteeNotEligible) as refused:
            log.info(
                "remote answer not applied",
                extra={"invitation_id": answered.invitation_id, "reason": refused.detail},
            )

    async def _require_eligible(self, record: InvitationRecord, now: datetime) -> None:
        [verdict] = await self.eligibility.by_ids(record.inviter_id, [record.invitee_id])
        if not verdict.eligible:
            log.info(
                "invitee no longer eligible",
                extra={"invitation_id": record.id, "reason": verdict.reason},
            )
            await self.invitations.close(record.id, Transition.CANCEL, at=now, reason="ineligible")
            raise InviteeNotEligible()

    async def _reread(self, invitation_id: str) -> InvitationRecord:
        record = await self.repository.get(invitation_id)
        if record is None:
            raise InvitationNotFound()
        return record
