"""Grouped likes and replies: `post.liked` and `post.replied` notifications, one of each per
recipient and post.

While unread, the group gathers the likers since the recipient last read it (`count`, and
`actor` the latest); a like after it was read starts it afresh with a new sequence number,
so streams and unread counts see it again. An unlike takes its liker out; a group left
with nobody is withdrawn.

Order and repetition: the group keeps the newest `like_seq` it has seen of each liker
(`seen`), checked and written in the same compare-and-set as the change, so a duplicated
or overtaken event changes nothing, even when two are handled at once.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from notifications.core.commands import NotificationCommands
from notifications.core.repository import NotificationRepository
from notifications.core.rules import (
    NewNotification,
    NotificationType,
    SubjectKind,
    Withdrawal,
    withdrawals_that_cover,
)
from notifications.engagement.repository import (
    GroupRepository,
    group_fields,
    liker_documents,
    likers_of,
    replies_of,
    reply_group_fields,
)
from notifications.engagement.rules import (
    GroupedReply,
    like_group_id,
    like_recipients,
    likers_after_like,
    likers_after_unlike,
    replies_after_removal,
    replies_after_reply,
    reply_group_id,
)
from shared.clock import utc_now
from shared.events.posts import PostLiked, PostReplied, PostReplyRemoved, PostUnliked
from shared.mongo import Document
from shared.subscriptions import Delivery

# Concurrent likes of one post race on its group; each lost race re-reads it.
MAX_GROUP_WRITE_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class LikeCommands:
    groups: GroupRepository
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


# A group's new fields and, when it is news again, its new sequence number; None: no change.
type GroupChange = tuple[Document, int | None] | None


@dataclass(frozen=True, slots=True)
class ReplyCommands:
    """Replies grouped like likes: while unread, the group gathers the replies since the
    recipient last read it (`count`, `actor` the latest replier, `preview` its reply); a
    reply after it was read starts it afresh. A removed reply leaves its groups, and a
    group left with none is withdrawn. A reply already in its group changes nothing, so
    redeliveries are no-ops; a removal that came first left a withdrawal marker the reply
    meets."""

    groups: GroupRepository
    repository: NotificationRepository
    notifications: NotificationCommands

    async def post_replied(self, delivery: Delivery[PostReplied]) -> None:
        replied = delivery.event
        reply = GroupedReply(
            replied.reply_id, replied.replier_id, replied.replied_at, replied.reply_text
        )
        for recipient_id in like_recipients(replied.author_ids, replied.replier_id):
            notification = NewNotification(
                recipient_id=recipient_id,
                type=NotificationType.POST_REPLIED,
                actor_id=replied.replier_id,
                post_id=replied.post_id,
                reply_id=replied.reply_id,
            )
            if await self.notifications.silenced(notification):
                continue
            covering = withdrawals_that_cover(notification)
            if await self.repository.any_withdrawn(covering):
                continue
            group_id = reply_group_id(recipient_id, replied.post_id)
            await self._change(
                group_id,
                recipient_id,
                partial(self._with_reply, recipient_id, replied.post_id, reply=reply),
            )
            # A withdrawal that ran between the check and the write missed the reply; its
            # marker was written before it looked, so looking again closes that window.
            if await self.repository.any_withdrawn(covering):
                await self.repository.mark_withdrawn(group_id)

    async def reply_removed(self, delivery: Delivery[PostReplyRemoved]) -> None:
        removed = delivery.event
        # The marker first: a post.replied handled from now on meets it.
        await self.repository.withdraw(Withdrawal(SubjectKind.REPLY, removed.reply_id))
        for group_id in await self.groups.ids_with_reply(removed.reply_id):
            await self._change(
                group_id, None, lambda group: _without_reply(group, removed.reply_id)
            )

    async def _with_reply(
        self, recipient_id: str, post_id: str, group: Document | None, reply: GroupedReply
    ) -> GroupChange:
        reopened = group is None or bool(group["read"]) or bool(group["withdrawn"])
        replies = replies_after_reply(replies_of(group), reply, reopened=reopened)
        if replies is None:
            return None
        seq = await self.repository.next_seq(recipient_id)
        fields = reply_group_fields(recipient_id, post_id, replies)
        # The change feed finds notifications by when they were (re)stored.
        reopening = {"seq": seq, "created_at": utc_now(), "read": False, "withdrawn": False}
        return {**fields, **reopening}, seq

    async def _change(
        self,
        group_id: str,
        recipient_id: str | None,
        change: Callable[[Document | None], Awaitable[GroupChange]],
    ) -> None:
        """One compare-and-set on the group, retried when another writer got there first."""
        for _ in range(MAX_GROUP_WRITE_ATTEMPTS):
            group = await self.groups.get(group_id)
            changed = await change(group)
            if changed is None:
                return
            fields, seq = changed
            if await self.groups.write(group_id, group, fields):
                if seq is not None and recipient_id is not None:
                    self.notifications.wake(recipient_id)
                return
            if seq is not None and recipient_id is not None:
                await self.repository.insert_placeholder(recipient_id, seq)
        raise RuntimeError(f"reply group {group_id} kept changing; the event is retried")


async def _without_reply(group: Document | None, reply_id: str) -> GroupChange:
    if group is None:
        return None
    remaining = replies_after_removal(replies_of(group), reply_id)
    if remaining is None:
        return None
    fields = reply_group_fields(group["recipient_id"], group["post_id"], remaining)
    return {**fields, "withdrawn": not remaining or bool(group["withdrawn"])}, None
