"""Grouped `post.liked` notifications (issue 12): one per recipient and post.

While unread, the group gathers the likers since the recipient last read it (`count`, and
`actor` the latest); a like after it was read starts it afresh with a new sequence number,
so streams and unread counts see it again. An unlike takes its liker out; a group left
with nobody is withdrawn.

Order and repetition: the newest event of each (recipient, post, liker) wins, by the
pair's `like_seq` kept in `like_marks`; adding or removing a liker is itself idempotent,
so a retry after a crash between the group write and the mark is harmless.
"""

import contextlib
from collections.abc import Sequence

from pymongo.errors import DuplicateKeyError

from notifications import domain
from notifications.domain import NewNotification, NotificationType
from notifications.notifier import Notifier
from notifications.repository import NOTIFICATIONS, NotificationRepository
from shared.events.envelope import utc_now
from shared.events.posts import PostLiked, PostUnliked
from shared.mongo import Database, Document

LIKE_MARKS = "like_marks"
# Concurrent likes of one post race on its group; each lost race re-reads it.
MAX_GROUP_WRITE_ATTEMPTS = 20


class LikeGroups:
    def __init__(
        self, db: Database, repository: NotificationRepository, notifier: Notifier
    ) -> None:
        self._groups = db[NOTIFICATIONS]
        self._marks = db[LIKE_MARKS]
        self._repository = repository
        self._notifier = notifier

    async def liked(self, data: PostLiked) -> None:
        for recipient_id in domain.like_recipients(data.author_ids, data.liker_id):
            if not await self._is_news(recipient_id, data):
                continue
            notification = _notification(recipient_id, data)
            if not await self._notifier.silenced(notification) and not await self._withdrawn(
                notification
            ):
                await self._add(recipient_id, data)
            await self._mark(recipient_id, data)

    async def unliked(self, data: PostUnliked) -> None:
        for recipient_id in domain.like_recipients(data.author_ids, data.liker_id):
            if not await self._is_news(recipient_id, data):
                continue
            await self._remove(recipient_id, data)
            await self._mark(recipient_id, data)

    async def _is_news(self, recipient_id: str, data: PostLiked | PostUnliked) -> bool:
        mark = await self._marks.find_one({"_id": _mark_id(recipient_id, data)})
        return mark is None or int(mark["like_seq"]) < data.like_seq

    async def _mark(self, recipient_id: str, data: PostLiked | PostUnliked) -> None:
        with contextlib.suppress(DuplicateKeyError):  # a newer event of the pair is marked
            await self._marks.update_one(
                {"_id": _mark_id(recipient_id, data), "like_seq": {"$lt": data.like_seq}},
                {"$set": {"like_seq": data.like_seq, "at": utc_now()}},
                upsert=True,
            )

    async def _withdrawn(self, notification: NewNotification) -> bool:
        return await self._repository.any_withdrawn(domain.withdrawals_that_cover(notification))

    async def _add(self, recipient_id: str, data: PostLiked) -> None:
        group_id = domain.like_group_id(recipient_id, data.post_id)
        for _ in range(MAX_GROUP_WRITE_ATTEMPTS):
            group = await self._groups.find_one({"_id": group_id})
            reopened = group is None or bool(group["read"]) or bool(group["withdrawn"])
            likers = domain.likers_after_like(
                _likers(group), (data.liker_id, data.liked_at), reopened=reopened
            )
            if likers is None:
                return
            seq = await self._repository.next_seq(recipient_id)
            fields = _group_fields(recipient_id, data.post_id, likers, seq)
            if await self._write(group_id, group, fields):
                self._notifier.wake(recipient_id)
                return
            # Lost a race: the number handed out is filled, so streams need not wait on it.
            await self._repository.insert_placeholder(recipient_id, seq)
        raise RuntimeError(f"like group {group_id} kept changing; the event is retried")

    async def _remove(self, recipient_id: str, data: PostUnliked) -> None:
        group_id = domain.like_group_id(recipient_id, data.post_id)
        for _ in range(MAX_GROUP_WRITE_ATTEMPTS):
            group = await self._groups.find_one({"_id": group_id})
            likers = domain.likers_after_unlike(_likers(group), data.liker_id) if group else None
            if group is None or likers is None:
                return
            fields: Document = {
                "likers": _liker_documents(likers),
                "count": len(likers),
                "actor_id": likers[-1][0] if likers else group["actor_id"],
                "withdrawn": not likers or bool(group["withdrawn"]),
            }
            if await self._write(group_id, group, fields):
                return
        raise RuntimeError(f"like group {group_id} kept changing; the event is retried")

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
        "actor_id": likers[-1][0],
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


def _mark_id(recipient_id: str, data: PostLiked | PostUnliked) -> str:
    return f"{recipient_id}:{data.post_id}:{data.liker_id}"
