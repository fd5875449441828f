"""Keeping who engaged with each post, and telling them of its edits."""

from dataclasses import dataclass

from notifications.core.commands import NotificationCommands
from notifications.editing.repository import EngagerRepository
from notifications.editing.rules import post_edited_for
from shared.events.posts import PostDeleted, PostEdited, PostLiked, PostRemixApproved, PostReplied
from shared.subscriptions import Delivery


@dataclass(frozen=True, slots=True)
class EditCommands:
    engagers: EngagerRepository
    notifications: NotificationCommands

    async def post_liked(self, delivery: Delivery[PostLiked]) -> None:
        await self.engagers.record(delivery.event.post_id, delivery.event.liker_id)

    async def post_replied(self, delivery: Delivery[PostReplied]) -> None:
        await self.engagers.record(delivery.event.post_id, delivery.event.replier_id)

    async def remix_approved(self, delivery: Delivery[PostRemixApproved]) -> None:
        await self.engagers.record(delivery.event.original_id, delivery.event.remix_author_id)

    async def post_edited(self, delivery: Delivery[PostEdited]) -> None:
        """Notification ids derive from the event id: a redelivery stores nothing twice."""
        engagers = await self.engagers.of_post(delivery.event.post_id)
        await self.notifications.apply(delivery.event_id, post_edited_for(engagers, delivery.event))

    async def post_deleted(self, delivery: Delivery[PostDeleted]) -> None:
        await self.engagers.forget_post(delivery.event.post_id)
