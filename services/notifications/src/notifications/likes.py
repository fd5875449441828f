"""Grouped likes (a capability): `post.liked` notifications (issue 12), one per recipient and post.

While unread, the group gathers the likers since the recipient last read it (`count`, and
`actor` the latest); a like after it was read starts it afresh with a new sequence number,
so streams and unread counts see it again. An unlike takes its liker out; a group left
with nobody is withdrawn.

Order and repetition: the group keeps the newest `like_seq` it has seen of each liker
(`seen`), checked and written in the same compare-and-set as the change, so a duplicated
or overtaken event changes nothing, even when two are handled at once.
"""

from collections.abc import Sequence

from pymongo.errors import DuplicateKeyError

from notifications import domain
from notifications.commands import Notifier
from notifications.domain import NewNotification, NotificationType
from notifications.repository import NOTIFICATIONS, NotificationRepository
from shared.clock import utc_now
from shared.events.posts import PostLiked, PostUnliked
from shared.mongo import Database, Document
from shared.subscriptions import Delivery

# Concurrent likes of one post race on its group; each lost race re-reads it.
MAX_GROUP_WRITE_ATTEMPTS = 20


class LikeGroups:
    def __init__(
        self, db: Database, repository: NotificationRepository, notifier: Notifier
    ) -> None:
        self._groups = db[NOTIFICATIONS]
        self._repository = repository
        self._notifier = notifier

    async def liked(self, delivery: Delivery[PostLiked]) -> None:
        data = delivery.event
        for recipient_id in domain.like_recipients(data.author_ids, data.liker_id):
            notification = _notification(recipient_id, data)
            if await self._notifier.silenced(notification):
                continue
            if await self._repository.any_withdrawn(domain.withdrawals_that_cover(notification)):
                continue
            await self._change(recipient_id, data)

    async def unliked(self, delivery: Delivery[PostUnliked]) -> None:
        data = delivery.event
        for recipient_id in domain.like_recipients(data.author_ids, data.liker_id):
            await self._change(recipient_id, data)

    async def _change(self, recipient_id: str, data: PostLiked | PostUnliked) -> None:
        """One compare-and-set on the group: the liker's newest `like_seq` is kept in it, so
        the check for older news and the change are one write."""
        group_id = domain.like_group_id(recipient_id, data.post_id)
        for _ in range(MAX_GROUP_WRITE_ATTEMPTS):
            group = await self._groups.find_one({"_id": group_id})
            seen = dict(group.get("seen", {})) if group else {}
            if seen.get(data.liker_id, 0) >= data.like_seq:
                return
            seen[data.liker_id] = data.like_seq
            fields, seq = await self._fields_after(recipient_id, group, data)
            if await self._write(group_id, group, {**fields, "seen": seen}):
                if seq is not None:
                    self._notifier.wake(recipient_id)
                return
            if seq is not None:
                # Lost a race: the number handed out is filled, so streams need not wait on it.
                await self._repository.insert_placeholder(recipient_id, seq)
        raise RuntimeError(f"like group {group_id} kept changing; the event is retried")

    async def _fields_after(
        self, recipient_id: str, group: Document | None, data: PostLiked | PostUnliked
    ) -> tuple[Document, int | None]:
        """The group's new fields, and its new sequence number when it is news again."""
        if isinstance(data, PostLiked):
            reopened = group is None or bool(group["read"]) or bool(group["withdrawn"])
            likers = domain.likers_after_like(
                _likers(group), (data.liker_id, data.liked_at), reopened=reopened
            )
            if likers is not None:
                seq = await self._repository.next_seq(recipient_id)
                return _group_fields(recipient_id, data.post_id, likers, seq), seq
        if group is None:
            # An unlike overtook its like: remembered, so the like is known as older news.
            seq = await self._repository.next_seq(recipient_id)
            fields = _group_fields(recipient_id, data.post_id, [], seq)
            return {**fields, "read": True, "withdrawn": True}, seq
        remaining = domain.likers_after_unlike(_likers(group), data.liker_id)
        if remaining is None:
            return {}, None
        return {
            "likers": _liker_documents(remaining),
            "count": len(remaining),
            "actor_id": remaining[-1][0] if remaining else group["actor_id"],
            "withdrawn": not remaining or bool(group["withdrawn"]),
        }, None

    async def _write(self, group_id: str, group: Document | None, fields: Document) -> bool:
        if group is None:
            try:
                await self._groups.insert_one({"_id": group_id, "version": 1, **fields})
            except DuplicateKeyError:
                return False
            return True
        result = await self._groups.update_one(
            {"_id": group_id, "version": group["version"]},
            {"$set": fields, "$inc": {"version": 1}},
        )
        return result.modified_count == 1


def _likers(group: Document | None) -> list[domain.Liker]:
    return [(entry["id"], entry["at"]) for entry in group["likers"]] if group else []


def _liker_documents(likers: Sequence[domain.Liker]) -> list[Document]:
    return [{"id": liker_id, "at": at} for liker_id, at in likers]


def _group_fields(
    recipient_id: str, post_id: str, likers: Sequence[domain.Liker], seq: int
) -> Document:
    return {
        "recipient_id": recipient_id,
        "seq": seq,
        "type": str(NotificationType.POST_LIKED),
        "actor_id": likers[-1][0] if likers else None,
        "post_id": post_id,
        "invitation_id": None,
        "likers": _liker_documents(likers),
        "count": len(likers),
        # The change feed finds notifications by when they were (re)stored.
        "created_at": utc_now(),
        "read": False,
        "withdrawn": False,
    }


def _notification(recipient_id: str, data: PostLiked) -> NewNotification:
    return NewNotification(
        recipient_id=recipient_id,
        type=NotificationType.POST_LIKED,
        actor_id=data.liker_id,
        post_id=data.post_id,
    )
