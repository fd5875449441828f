"""Grouped likes: `post.liked` notifications, one per recipient and post.

While unread, the group gathers the likers since the recipient last read it (`count`, and
`actor` the latest); a like after it was read starts it afresh with a new sequence number,
so streams and unread counts see it again. An unlike takes its liker out; a group left
with nobody is withdrawn.

Order and repetition: the group keeps the newest `like_seq` it has seen of each liker
(`seen`), checked and written in the same compare-and-set as the change, so a duplicated
or overtaken event changes nothing, even when two are handled at once.
"""

from dataclasses import dataclass

from notifications.core.commands import NotificationCommands
from notifications.core.repository import NotificationRepository
from notifications.core.rules import NewNotification, NotificationType, withdrawals_that_cover
from notifications.engagement.repository import (
    LikeGroupRepository,
    group_fields,
    liker_documents,
    likers_of,
)
from notifications.engagement.rules import (
    like_group_id,
    like_recipients,
    likers_after_like,
    likers_after_unlike,
)
from shared.events.posts import PostLiked, PostUnliked
from shared.mongo import Document
from shared.subscriptions import Delivery

# Concurrent likes of one post race on its group; each lost race re-reads it.
MAX_GROUP_WRITE_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class LikeCommands:
    groups: LikeGroupRepository
    repository: NotificationRepository
    notifications: NotificationCommands

    async def post_liked(self, delivery: Delivery[PostLiked]) -> None:
        liked = delivery.event
        for recipient_id in like_recipients(liked.author_ids, liked.liker_id):
            notification = _notification(recipient_id, liked)
            if await self.notifications.silenced(notification):
                continue
            if await self.repository.any_withdrawn(withdrawals_that_cover(notification)):
                continue
            await self._change(recipient_id, liked)

    async def post_unliked(self, delivery: Delivery[PostUnliked]) -> None:
        unliked = delivery.event
        for recipient_id in like_recipients(unliked.author_ids, unliked.liker_id):
            await self._change(recipient_id, unliked)

    async def _change(self, recipient_id: str, like: PostLiked | PostUnliked) -> None:
        """One compare-and-set on the group: the liker's newest `like_seq` is kept in it, so
        the check for older news and the change are one write."""
        group_id = like_group_id(recipient_id, like.post_id)
        for _ in range(MAX_GROUP_WRITE_ATTEMPTS):
            group = await self.groups.get(group_id)
            seen = dict(group.get("seen", {})) if group else {}
            if seen.get(like.liker_id, 0) >= like.like_seq:
                return
            seen[like.liker_id] = like.like_seq
            fields, seq = await self._fields_after(recipient_id, group, like)
            if await self.groups.write(group_id, group, {**fields, "seen": seen}):
                if seq is not None:
                    self.notifications.wake(recipient_id)
                return
            if seq is not None:
                # Lost a race: the number handed out is filled, so streams need not wait on it.
                await self.repository.insert_placeholder(recipient_id, seq)
        raise RuntimeError(f"like group {group_id} kept changing; the event is retried")

    async def _fields_after(
        self, recipient_id: str, group: Document | None, like: PostLiked | PostUnliked
    ) -> tuple[Document, int | None]:
        """The group's new fields, and its new sequence number when it is news again."""
        if isinstance(like, PostLiked):
            reopened = group is None or bool(group["read"]) or bool(group["withdrawn"])
            likers = likers_after_like(
                likers_of(group), (like.liker_id, like.liked_at), reopened=reopened
            )
            if likers is not None:
                seq = await self.repository.next_seq(recipient_id)
                preview = await self.notifications.preview(_notification(recipient_id, like))
                fields = group_fields(recipient_id, like.post_id, likers, seq, preview=preview)
                return fields, seq
        if group is None:
            # An unlike overtook its like: remembered, so the like is known as older news.
            seq = await self.repository.next_seq(recipient_id)
            fields = group_fields(recipient_id, like.post_id, [], seq)
            return {**fields, "read": True, "withdrawn": True}, seq
        remaining = likers_after_unlike(likers_of(group), like.liker_id)
        if remaining is None:
            return {}, None
        return {
            "likers": liker_documents(remaining),
            "count": len(remaining),
            "actor_id": remaining[-1][0] if remaining else group["actor_id"],
            "withdrawn": not remaining or bool(group["withdrawn"]),
        }, None


def _notification(recipient_id: str, like: PostLiked) -> NewNotification:
    return NewNotification(
        recipient_id=recipient_id,
        type=NotificationType.POST_LIKED,
        actor_id=like.liker_id,
        post_id=like.post_id,
    )
