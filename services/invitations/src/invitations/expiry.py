"""The expiry scheduler: every few seconds, expires the pending invitations past their expiry.

A background task that the composition root (components.py) starts and stops; the command
it runs is `InvitationCommands.expire_due`. Each replica runs one. Expiring is a conditional
write per invitation (status still pending), so replicas sweeping at the same time, or a
restart mid-sweep, expire each invitation exactly once.
"""

import logging

from invitations.commands import InvitationCommands
from shared.periodic import PeriodicTask

log = logging.getLogger(__name__)


class ExpiryScheduler:
    def __init__(
        self, commands: InvitationCommands, *, interval_seconds: float, batch_size: int
    ) -> None:
        self._commands = commands
        self._batch_size = batch_size
        self._loop = PeriodicTask(
            "invitation-expiry", self._sweep, interval_seconds=interval_seconds
        )

    async def run_once(self) -> int:
        """One sweep; how many invitations this sweep expired."""
        return await self._commands.expire_due(self._batch_size)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _sweep(self) -> None:
        if expired := await self.run_once():
            log.info("invitations expired", extra={"count": expired})
