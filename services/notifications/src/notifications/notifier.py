"""Applying an event's reaction: storing notifications once each, withdrawing, waking streams."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from uuid import UUID

from notifications.domain import (
    NewNotification,
    Reaction,
    Withdrawal,
    notification_id,
    withdrawals_that_cover,
)
from notifications.repository import NotificationRepository
from shared.problems import TooManyRequests
from shared.relations import RelationReplica

# How soon to try again when an account has all its streams open: one usually closes soon.
STREAM_LIMIT_RETRY_AFTER_SECONDS = 10


@dataclass(eq=False)
class StreamSubscription:
    """One open stream: woken when its recipient may have something after `last_seq`."""

    recipient_id: str
    last_seq: int
    woken: asyncio.Event = field(default_factory=asyncio.Event)


class TooManyStreams(TooManyRequests):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"At most {limit} notification streams may be open at once for one account.",
            retry_after_seconds=STREAM_LIMIT_RETRY_AFTER_SECONDS,
        )


class LocalWakeups:
    """The streams this process serves, per recipient, and the wakeups that reach them.

    A notification stored by this process wakes its recipient's streams at once; one stored
    by another replica reaches them through the change feed (stream.NotificationFeed).
    """

    def __init__(self, max_streams_per_account: int | None = None) -> None:
        self._max_streams = max_streams_per_account
        self._open: dict[str, set[StreamSubscription]] = {}

    @contextmanager
    def subscribe(self, recipient_id: str, last_seq: int = 0) -> Iterator[StreamSubscription]:
        """A new stream of `recipient_id`; TooManyStreams (429) when the account is at its cap."""
        streams = self._open.setdefault(recipient_id, set())
        if self._max_streams is not None and len(streams) >= self._max_streams:
            raise TooManyStreams(self._max_streams)
        subscription = StreamSubscription(recipient_id, last_seq)
        streams.add(subscription)
        try:
            yield subscription
        finally:
            streams.discard(subscription)
            if not streams:
                self._open.pop(recipient_id, None)

    def recipients(self) -> list[str]:
        """The recipients with at least one open stream here."""
        return list(self._open)

    def wake(self, recipient_id: str, seq: int | None = None) -> None:
        """Wake the recipient's streams that have not reached `seq` (all of them when None)."""
        for subscription in self._open.get(recipient_id, ()):
            if seq is None or subscription.last_seq < seq:
                subscription.woken.set()


class Notifier:
    def __init__(
        self,
        repository: NotificationRepository,
        wakeups: LocalWakeups,
        mutes: RelationReplica | None = None,
    ) -> None:
        self._repository = repository
        self._wakeups = wakeups
        # Whom each recipient mutes: they notify it no more (issue 12).
        self._mutes = mutes

    async def silenced(self, notification: NewNotification) -> bool:
        """A block either way, or the recipient muting the actor, keeps it from being stored."""
        if await self._repository.is_blocked_between(notification.parties()):
            return True
        if self._mutes is None or notification.actor_id is None:
            return False
        return bool(
            await self._mutes.active_pairs([(notification.recipient_id, notification.actor_id)])
        )

    def wake(self, recipient_id: str) -> None:
        self._wakeups.wake(recipient_id)

    async def apply(self, event_id: UUID, reaction: Reaction) -> None:
        for withdrawal in reaction.withdrawals:
            await self._repository.withdraw(withdrawal)
        for notification in reaction.notifications:
            await self._store(notification_id(event_id, notification), notification)

    async def _store(self, stored_id: str, notification: NewNotification) -> None:
        repository = self._repository
        covering = withdrawals_that_cover(notification)
        if await repository.exists(stored_id):
            # A retry after a crash: the first attempt may have missed its second check.
            await self._withdraw_if_covered(stored_id, covering)
            return
        if await self.silenced(notification):
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
