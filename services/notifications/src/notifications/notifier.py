"""Applying an event's reaction: storing notifications once each, withdrawing, waking streams."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from notifications.domain import (
    NewNotification,
    Reaction,
    Withdrawal,
    notification_id,
    withdrawals_that_cover,
)
from notifications.repository import NotificationRepository


class LocalWakeups:
    """The streams this process serves, woken at once when this process stores for their user.

    Streams still poll the database: a notification stored by another replica reaches them
    on the next poll instead.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}

    @contextmanager
    def subscribe(self, recipient_id: str) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        self._waiting.setdefault(recipient_id, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._waiting.get(recipient_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiting[recipient_id]

    def wake(self, recipient_id: str) -> None:
        for event in self._waiting.get(recipient_id, ()):
            event.set()


class Notifier:
    def __init__(self, repository: NotificationRepository, wakeups: LocalWakeups) -> None:
        self._repository = repository
        self._wakeups = wakeups

    async def apply(self, event_id: UUID, reaction: Reaction) -> None:
        for withdrawal in reaction.withdrawals:
            await self._repository.withdraw(withdrawal)
        for notification in reaction.notifications:
            await self._store(notification_id(event_id, notification.recipient_id), notification)

    async def _store(self, stored_id: str, notification: NewNotification) -> None:
        repository = self._repository
        covering = withdrawals_that_cover(notification)
        if await repository.exists(stored_id):
            # A retry after a crash: the first attempt may have missed its second check.
            await self._withdraw_if_covered(stored_id, covering)
            return
        if await repository.is_blocked_between(notification.parties()):
            return
        # Withdrawn already (reordered events): stored withdrawn, so a redelivery stays a no-op.
        withdrawn = await repository.any_withdrawn(covering)
        seq = await repository.next_seq(notification.recipient_id)
        if not await repository.insert(stored_id, seq, notification, withdrawn=withdrawn):
            # A concurrent delivery of the same event won; fill the number it left unused.
            await repository.insert_placeholder(notification.recipient_id, seq)
            return
        # A withdrawal that ran between the check and the insert missed this document, but
        # its marker was written before its update, so checking again after the insert
        # closes that window.
        if not withdrawn:
            await self._withdraw_if_covered(stored_id, covering)
        self._wakeups.wake(notification.recipient_id)

    async def _withdraw_if_covered(self, stored_id: str, covering: list[Withdrawal]) -> None:
        if await self._repository.any_withdrawn(covering):
            await self._repository.mark_withdrawn(stored_id)
