"""The steps every capability's commands take on an invitation: a decided transition written
with its event, and closing on the system's behalf.

Every state change is one conditional single-document write (filter: the status it was
decided from) that carries its event in the document's outbox, so concurrent writers never
both win and no event is written without its change.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from invitations.core.repository import InvitationRecord, InvitationRepository
from invitations.core.rules import Actor, Decision, InvitationStatus, Transition, decide
from shared.events.invitations import CancellationReason, InvitationCancelled
from shared.mongo import Document
from shared.outbox import Outbox


@dataclass(frozen=True, slots=True)
class InvitationCommands:
    repository: InvitationRepository
    outbox: Outbox

    async def write(self, record: InvitationRecord, decision: Decision, at: datetime) -> bool:
        """The decided change and its event, unless another writer changed the status first."""
        assert decision.event is not None  # only changed decisions are written
        with self.outbox.publishing(decision.event) as events:
            return await self.repository.transition(
                record.id, from_status=record.status, changes=_changes(decision, at), events=events
            )

    async def close(
        self,
        invitation_id: str,
        transition: Transition,
        *,
        at: datetime,
        reason: CancellationReason | None = None,
    ) -> bool:
        """Revoke, expire, cancel or decline on an event or the clock; False if already closed."""
        record = await self.repository.get(invitation_id)
        if record is None:
            return False
        decision = decide(record.facts, transition, Actor.SYSTEM, at=at, cancel_reason=reason)
        # Losing the conditional write means another writer closed it first: nothing to do.
        return decision.changed and await self.write(record, decision, at)

    async def close_each(
        self,
        invitation_ids: Iterable[str],
        transition: Transition,
        *,
        at: datetime,
        reason: CancellationReason | None = None,
    ) -> int:
        """One conditional write per invitation, each carrying its own event."""
        closed = 0
        for invitation_id in invitation_ids:
            closed += await self.close(invitation_id, transition, at=at, reason=reason)
        return closed


def _changes(decision: Decision, at: datetime) -> Document:
    changes: Document = {"status": decision.status.value, "closed_at": at}
    if decision.status in (InvitationStatus.ACCEPTED, InvitationStatus.DECLINED):
        changes["responded_at"] = at
    if isinstance(decision.event, InvitationCancelled):
        changes["cancel_reason"] = decision.event.reason
    return changes
