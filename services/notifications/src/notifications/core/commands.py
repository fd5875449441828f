"""The use cases that change notifications: storing an event's notifications once each,
withdrawing them, replicating blocks, and marking them read; each store wakes local streams."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from notifications.core.repository import NotificationRepository, PostTextRepository
from notifications.core.rules import (
    NewNotification,
    Reaction,
    Withdrawal,
    notification_id,
    preview_of,
    withdrawals_that_cover,
)
from shared.events.posts import PostCreated, PostDeleted, PostEdited, PostPublished
from shared.events.users import UserBlocked, UserUnblocked
from shared.relations import RelationReplica
from shared.subscriptions import Delivery


class Wakeups(Protocol):
    """The local streams a store wakes: those of the recipient that are behind `seq`."""

    def wake(self, recipient_id: str, seq: int | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class NotificationCommands:
    repository: NotificationRepository
    wakeups: Wakeups
    # Whom each recipient mutes: they notify it no more.
    mutes: RelationReplica | None = None
    # The posts' texts the notifications preview.
    texts: PostTextRepository | None = None

    async def post_written(
        self, delivery: Delivery[PostCreated | PostPublished | PostEdited]
    ) -> None:
        written = delivery.event
        if self.texts is not None:
            await self.texts.record(written.post_id, written.text)

    async def post_deleted(self, delivery: Delivery[PostDeleted]) -> None:
        """Runs after the deletion's own notifications (which keep their preview) are stored."""
        if self.texts is not None:
            await self.texts.forget(delivery.event.post_id)

    async def preview(self, notification: NewNotification) -> str | None:
        """What the notification shows of its reply or post, decided when it is stored."""
        if notification.preview_text is not None:
            return preview_of(notification.preview_text)
        if self.texts is None:
            return None
        return preview_of(await self.texts.text_of(notification.post_id))

    async def user_blocked(self, delivery: Delivery[UserBlocked]) -> None:
        block = delivery.event
        await self.repository.record_block(
            block.blocker_id, block.blocked_id, blocked=True, as_of=block.blocked_at
        )

    async def user_unblocked(self, delivery: Delivery[UserUnblocked]) -> None:
        unblock = delivery.event
        await self.repository.record_block(
            unblock.blocker_id, unblock.blocked_id, blocked=False, as_of=unblock.unblocked_at
        )

    async def mark_read(self, recipient_id: str, notification_ids: Sequence[str] | None) -> int:
        """Mark some (or, with None, all) of the recipient's notifications read; returns the
        unread count left."""
        await self.repository.mark_read(recipient_id, notification_ids)
        return await self.repository.unread_count(recipient_id)

    async def silenced(self, notification: NewNotification) -> bool:
        """A block either way, or the recipient muting the actor, keeps it from being stored."""
        if await self.repository.is_blocked_between(notification.parties()):
            return True
        if self.mutes is None or notification.actor_id is None:
            return False
        # All the recipient's mutes, which Redis may hold: no database read once it does.
        return notification.actor_id in await self.mutes.targets_of(notification.recipient_id)

    def wake(self, recipient_id: str) -> None:
        self.wakeups.wake(recipient_id)

    async def apply(self, event_id: UUID, reaction: Reaction) -> None:
        for withdrawal in reaction.withdrawals:
            await self.repository.withdraw(withdrawal)
        for notification in reaction.notifications:
            await self._store(notification_id(event_id, notification), notification)

    async def _store(self, stored_id: str, notification: NewNotification) -> None:
        # No read of whether it is stored already: a redelivery (rare) fails its insert below.
        repository = self.repository
        covering = withdrawals_that_cover(notification)
        if await self.silenced(notification):
            # A retry after a crash may find the pair silenced since; the first attempt may
            # have stored it and missed its second check.
            await self._withdraw_if_covered(stored_id, covering)
            return
        # Withdrawn already (reordered events): stored withdrawn, so a redelivery stays a no-op.
        withdrawn = await repository.any_withdrawn(covering)
        seq = await repository.next_seq(notification.recipient_id)
        preview = await self.preview(notification)
        if not await repository.insert(
            stored_id, seq, notification, withdrawn=withdrawn, preview=preview
        ):
            # Stored already, by a concurrent delivery or by a first attempt that crashed
            # (and may have missed its second check): fill the number left unused, check.
            await repository.insert_placeholder(notification.recipient_id, seq)
            await self._withdraw_if_covered(stored_id, covering)
            return
        # A withdrawal that ran between the check and the insert missed this document, but
        # its marker was written before its update, so checking again after the insert
        # closes that window.
        if not withdrawn:
            await self._withdraw_if_covered(stored_id, covering)
        self.wakeups.wake(notification.recipient_id)

    async def _withdraw_if_covered(self, stored_id: str, covering: list[Withdrawal]) -> None:
        if await self.repository.any_withdrawn(covering):
            await self.repository.mark_withdrawn(stored_id)
