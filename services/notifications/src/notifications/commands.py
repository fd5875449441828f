"""The use cases that change notifications: storing an event's notifications once each,
withdrawing them, replicating blocks, and marking them read; each store wakes local streams."""

from collections.abc import Sequence
from uuid import UUID

from notifications.domain import (
    NewNotification,
    Reaction,
    Withdrawal,
    notification_id,
    reaction_to,
    withdrawals_that_cover,
)
from notifications.repository import NotificationRepository
from notifications.stream import LocalWakeups
from shared.events import EventData
from shared.events.users import UserBlocked, UserUnblocked
from shared.relations import RelationReplica
from shared.subscriptions import Delivery


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

    async def react(self, delivery: Delivery[EventData]) -> None:
        """Apply what the event does to notifications (ids derive from its id)."""
        await self.apply(delivery.event_id, reaction_to(delivery.event))

    async def user_blocked(self, delivery: Delivery[UserBlocked]) -> None:
        data = delivery.event
        await self._repository.record_block(
            data.blocker_id, data.blocked_id, blocked=True, as_of=data.blocked_at
        )

    async def user_unblocked(self, delivery: Delivery[UserUnblocked]) -> None:
        data = delivery.event
        await self._repository.record_block(
            data.blocker_id, data.blocked_id, blocked=False, as_of=data.unblocked_at
        )

    async def mark_read(self, recipient_id: str, notification_ids: Sequence[str] | None) -> int:
        """Mark some (or, with None, all) of the recipient's notifications read; returns the
        unread count left."""
        await self._repository.mark_read(recipient_id, notification_ids)
        return await self._repository.unread_count(recipient_id)

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
