"""Expiring pending invitations past their expiry: the sweep each replica runs periodically.

Expiring is a conditional write per invitation (status still pending), so replicas sweeping at
the same time, or a restart mid-sweep, expire each invitation exactly once.
"""

import logging
from dataclasses import dataclass

from invitations.core.commands import InvitationCommands
from invitations.core.repository import InvitationRepository
from invitations.core.rules import Transition
from shared.clock import Clock, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExpiryCommands:
    repository: InvitationRepository
    invitations: InvitationCommands
    batch_size: int
    clock: Clock = utc_now

    async def expire_due(self) -> int:
        """Expire every pending invitation past its expiry; how many this call expired."""
        expired = 0
        while True:
            now = self.clock()
            due = await self.repository.due_ids(now, self.batch_size)
            expired += await self.invitations.close_each(due, Transition.EXPIRE, at=now)
            if len(due) < self.batch_size:
                return expired

    async def sweep(self) -> None:
        """One pass of the periodic sweep."""
        if expired := await self.expire_due():
            log.info("invitations expired", extra={"count": expired})
