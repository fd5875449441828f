"""What posts' engagement events change here: each post's counts on its card and the replica
of who likes it. Every write is guarded by a version, so duplicated and reordered events leave
the same state. A reply's count change is one write to the card, so its handlers are
single-write (`shared.idempotency.write_once`): no processed-event log around them."""

from dataclasses import dataclass

from shared.events.posts import PostDeleted, PostLiked, PostReplied, PostReplyRemoved, PostUnliked
from shared.subscriptions import Delivery
from timeline.core.repository import PostCardRepository
from timeline.engagement.repository import LikeRepository


@dataclass(frozen=True, slots=True)
class EngagementCommands:
    cards: PostCardRepository
    likes: LikeRepository

    async def post_liked(self, delivery: Delivery[PostLiked]) -> None:
        liked = delivery.event
        await self.likes.record(liked.post_id, liked.liker_id, active=True, like_seq=liked.like_seq)
        await self.cards.record_counts(liked.post_id, liked.counts)

    async def post_unliked(self, delivery: Delivery[PostUnliked]) -> None:
        unliked = delivery.event
        await self.likes.record(
            unliked.post_id, unliked.liker_id, active=False, like_seq=unliked.like_seq
        )
        await self.cards.record_counts(unliked.post_id, unliked.counts)

    async def post_replied(self, delivery: Delivery[PostReplied]) -> None:
        """Single-write: one conditional write to the card (see the handlers)."""
        replied = delivery.event
        await self.cards.record_counts_once(delivery.event_id, replied.post_id, replied.counts)

    async def reply_removed(self, delivery: Delivery[PostReplyRemoved]) -> None:
        """Single-write: one conditional write to the card (see the handlers)."""
        removed = delivery.event
        await self.cards.record_counts_once(delivery.event_id, removed.post_id, removed.counts)

    async def post_deleted(self, delivery: Delivery[PostDeleted]) -> None:
        await self.cards.forget_counts(delivery.event.post_id)
        await self.likes.forget_post(delivery.event.post_id)
