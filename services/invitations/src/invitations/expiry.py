"""The expiry scheduler: every few seconds, expires the pending invitations past their expiry.

Each replica runs one. Expiring is a conditional write per invitation (status still
pending), so replicas sweeping at the same time, or a restart mid-sweep, expire each
invitation exactly once.
"""

import asyncio
import contextlib
import logging

from invitations.lifecycle import InvitationLifecycle

log = logging.getLogger(__name__)


class ExpiryScheduler:
    def __init__(
        self, lifecycle: InvitationLifecycle, *, interval_seconds: float, batch_size: int
    ) -> None:
        self._lifecycle = lifecycle
        self._interval_seconds = interval_seconds
        self._batch_size = batch_size
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """One sweep; how many invitations this sweep expired."""
        return await self._lifecycle.expire_due(self._batch_size)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="invitation-expiry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                if expired := await self.run_once():
                    log.info("invitations expired", extra={"count": expired})
            except Exception:
                log.warning("expiry sweep failed; retrying at the next one", exc_info=True)
            await asyncio.sleep(self._interval_seconds)
