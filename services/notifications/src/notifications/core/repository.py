"""The notifications collection, the recipients' sequence numbers, withdrawal markers, blocks."""

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from notifications.core.rules import (
    SURVIVES_ITS_SUBJECT,
    NewNotification,
    NotificationType,
    SubjectKind,
    Withdrawal,
)
from shared.clock import utc_now
from shared.mongo import Database, Document, IndexSpec, increment
from shared.personal_data import PersonalRecords

NOTIFICATIONS = "notifications"
# How many recipients' last sequence numbers a process remembers (a few hundred KiB at most).
SEQUENCES_REMEMBERED = 10_000
# One document per recipient: the last sequence number handed out to its notifications.
RECIPIENT_SEQUENCES = "recipient_sequences"
# Subjects (post, invitation, user) whose notifications are withdrawn, kept so that a
# notification arriving after its withdrawal (reordered events) is stored withdrawn.
WITHDRAWN_SUBJECTS = "withdrawn_subjects"
# A replica of who blocks whom, from user.blocked / user.unblocked, newest event wins.
BLOCKS = "blocks"
# The person's notifications (those kept: they expire after the retention).
NOTIFICATION_PERSONAL_DATA = (
    PersonalRecords("notifications.json", NOTIFICATIONS, lambda user: {"recipient_id": user}),
)
# Each live post's text, from post.created and post.published, so a notification about a
# post stores its preview when it is made (no read of the posts service); gone with the post.
POST_TEXTS = "post_texts"


def notification_indexes(
    *, notification_retention_seconds: int, withdrawal_marker_retention_seconds: int
) -> list[IndexSpec]:
    """The indexes, including the TTL ones that bound how long notifications and markers stay
    (the TTL index on `created_at` also serves the streams' change feed)."""
    return [
        IndexSpec(NOTIFICATIONS, [("recipient_id", 1), ("seq", -1)], {"unique": True}),
        IndexSpec(NOTIFICATIONS, [("recipient_id", 1), ("read", 1), ("withdrawn", 1), ("seq", -1)]),
        IndexSpec(NOTIFICATIONS, [("post_id", 1)]),
        IndexSpec(NOTIFICATIONS, [("invitation_id", 1)]),
        IndexSpec(NOTIFICATIONS, [("reply_id", 1)], {"sparse": True}),
        # Reply groups' replies (notifications.engagement), found by a removed reply's id.
        IndexSpec(NOTIFICATIONS, [("replies.id", 1)], {"sparse": True}),
        IndexSpec(NOTIFICATIONS, [("actor_id", 1)]),
        IndexSpec(
            NOTIFICATIONS,
            [("created_at", 1)],
            {"expireAfterSeconds": notification_retention_seconds},
        ),
        IndexSpec(
            WITHDRAWN_SUBJECTS,
            [("withdrawn_at", 1)],
            {"expireAfterSeconds": withdrawal_marker_retention_seconds},
        ),
    ]


_EXEMPT_TYPES = [str(t) for t in SURVIVES_ITS_SUBJECT]


class PostTextRepository:
    def __init__(self, db: Database) -> None:
        self._texts = db[POST_TEXTS]

    async def record(self, post_id: str, text: str) -> None:
        """Idempotent; a deleted post's text is never recorded again."""
        with contextlib.suppress(DuplicateKeyError):
            await self._texts.update_one(
                {"_id": post_id, "deleted": {"$ne": True}}, {"$set": {"text": text}}, upsert=True
            )

    async def text_of(self, post_id: str | None) -> str | None:
        if post_id is None:
            return None
        document = await self._texts.find_one({"_id": post_id, "deleted": {"$ne": True}})
        return document["text"] if document else None

    async def forget(self, post_id: str) -> None:
        """The text goes; a marker stays, so a late post.created does not bring it back."""
        await self._texts.update_one(
            {"_id": post_id}, {"$set": {"deleted": True}, "$unset": {"text": ""}}, upsert=True
        )


class NotificationRepository:
    def __init__(self, db: Database) -> None:
        self._notifications = db[NOTIFICATIONS]
        self._sequences = db[RECIPIENT_SEQUENCES]
        self._withdrawn = db[WITHDRAWN_SUBJECTS]
        self._blocks = db[BLOCKS]
        # Each recipient's lock while this process numbers its notifications, and how many
        # hold or wait for it (it goes with the last).
        self._numbering: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        # The last number this process took for each recent recipient, oldest first.
        self._last_taken: OrderedDict[str, int] = OrderedDict()

    # -- writing ----------------------------------------------------------------------

    async def next_seq(self, recipient_id: str) -> int:
        """The recipient's next sequence number, from one atomic increment.

        This process takes one recipient's numbers one at a time: the increment is a
        compare-and-swap, correct however many take numbers at once (replicas too), but each
        lost race costs two more commands (three a follow instead of two while a graph's
        follows to one user were handled together, measured). The swap starts from the last
        number this process took for the recipient, when it remembers one: one command, where
        nobody else took a number since; otherwise (another replica did, or it is forgotten)
        the counter is read first, as the increment does.
        """
        async with self._one_at_a_time(recipient_id):
            last = self._last_taken.pop(recipient_id, None)
            if last is not None and await self._swap(recipient_id, last):
                seq = last + 1
            else:
                seq = int((await increment(self._sequences, recipient_id, {"seq": 1}))["seq"])
            self._last_taken[recipient_id] = seq
            if len(self._last_taken) > SEQUENCES_REMEMBERED:
                self._last_taken.popitem(last=False)
        return seq

    async def _swap(self, recipient_id: str, last: int) -> bool:
        swapped = await self._sequences.update_one(
            {"_id": recipient_id, "seq": last}, {"$inc": {"seq": 1}}
        )
        return swapped.matched_count == 1

    @contextlib.asynccontextmanager
    async def _one_at_a_time(self, recipient_id: str) -> AsyncIterator[None]:
        lock, holders = self._numbering.setdefault(recipient_id, (asyncio.Lock(), [0]))
        holders[0] += 1
        try:
            async with lock:
                yield
        finally:
            holders[0] -= 1
            if holders[0] == 0:
                del self._numbering[recipient_id]

    async def insert(
        self,
        notification_id: str,
        seq: int,
        notification: NewNotification,
        *,
        withdrawn: bool,
        preview: str | None = None,
    ) -> bool:
        """False when a notification with this id is already stored."""
        document = {
            "_id": notification_id,
            "recipient_id": notification.recipient_id,
            "seq": seq,
            "type": str(notification.type),
            "actor_id": notification.actor_id,
            "post_id": notification.post_id,
            "invitation_id": notification.invitation_id,
            "reply_id": notification.reply_id,
            "preview": preview,
            "created_at": utc_now(),
            "read": False,
            "withdrawn": withdrawn,
        }
        try:
            await self._notifications.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def insert_placeholder(self, recipient_id: str, seq: int) -> None:
        """Fills a sequence number that was handed out but not used, so streams need not wait."""
        with contextlib.suppress(DuplicateKeyError):
            await self._notifications.insert_one(
                {
                    "_id": f"placeholder:{recipient_id}:{seq}",
                    "recipient_id": recipient_id,
                    "seq": seq,
                    "placeholder": True,
                    "read": True,
                    "withdrawn": True,
                    "created_at": utc_now(),
                }
            )

    async def mark_withdrawn(self, notification_id: str) -> None:
        await self._notifications.update_one(
            {"_id": notification_id}, {"$set": {"withdrawn": True}}
        )

    async def any_withdrawn(self, withdrawals: Sequence[Withdrawal]) -> bool:
        keys = [withdrawal.key for withdrawal in withdrawals]
        return await self._withdrawn.find_one({"_id": {"$in": keys}}, {"_id": 1}) is not None

    async def withdraw(self, withdrawal: Withdrawal) -> None:
        """Marker first, then the update: a notification stored meanwhile meets one of them."""
        await self._withdrawn.update_one(
            {"_id": withdrawal.key},
            {"$setOnInsert": {"withdrawn_at": utc_now()}},
            upsert=True,
        )
        for subject_filter in _filters_of(withdrawal):
            await self._notifications.update_many(
                {**subject_filter, "withdrawn": False}, {"$set": {"withdrawn": True}}
            )

    # -- blocks -----------------------------------------------------------------------

    async def record_block(
        self, blocker_id: str, blocked_id: str, *, blocked: bool, as_of: datetime
    ) -> None:
        """Applies a block or an unblock unless a newer one for the pair is already stored."""
        try:
            await self._blocks.update_one(
                {"_id": f"{blocker_id}:{blocked_id}", "as_of": {"$lt": as_of}},
                {"$set": {"blocked": blocked, "as_of": as_of}},
                upsert=True,
            )
        except DuplicateKeyError:
            return  # the pair exists with a newer state: this event is older news

    async def is_blocked_between(self, user_ids: Sequence[str]) -> bool:
        if len(user_ids) < 2:
            return False
        first, second = user_ids[0], user_ids[1]
        pairs = [f"{first}:{second}", f"{second}:{first}"]
        found = await self._blocks.find_one({"_id": {"$in": pairs}, "blocked": True}, {"_id": 1})
        return found is not None

    # -- reading ----------------------------------------------------------------------

    async def page(
        self, recipient_id: str, *, unread_only: bool, before_seq: int | None, limit: int
    ) -> list[Document]:
        query: dict[str, Any] = {"recipient_id": recipient_id, "withdrawn": False}
        if unread_only:
            query["read"] = False
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        cursor = self._notifications.find(query).sort("seq", -1).limit(limit)
        return [doc async for doc in cursor]

    async def unread_count(self, recipient_id: str) -> int:
        return await self._notifications.count_documents(
            {"recipient_id": recipient_id, "read": False, "withdrawn": False}
        )

    async def mark_read(self, recipient_id: str, notification_ids: Sequence[str] | None) -> None:
        """Marks the recipient's own notifications read: `None` means all of them."""
        query: dict[str, Any] = {"recipient_id": recipient_id, "read": False}
        if notification_ids is not None:
            query["_id"] = {"$in": list(notification_ids)}
        await self._notifications.update_many(query, {"$set": {"read": True}})

    async def latest_seq(self, recipient_id: str) -> int:
        doc = await self._notifications.find_one(
            {"recipient_id": recipient_id}, {"seq": 1}, sort=[("seq", -1)]
        )
        return int(doc["seq"]) if doc else 0

    async def latest_seqs_since(
        self, recipient_ids: Sequence[str], since: datetime
    ) -> dict[str, int]:
        """The highest sequence number stored since `since` for each of these recipients
        that has one: the change feed of every open stream of a replica, in one query.

        Hinted to the `created_at` index: the last seconds are few entries, and SecantusDB's
        planner would otherwise scan the whole collection for the `$in` at every poll."""
        cursor = self._notifications.find(
            {"recipient_id": {"$in": list(recipient_ids)}, "created_at": {"$gte": since}},
            {"_id": 0, "recipient_id": 1, "seq": 1},
        ).hint([("created_at", 1)])
        latest: dict[str, int] = {}
        async for doc in cursor:
            recipient_id, seq = doc["recipient_id"], int(doc["seq"])
            latest[recipient_id] = max(seq, latest.get(recipient_id, seq))
        return latest

    async def after(self, recipient_id: str, seq: int, limit: int) -> list[Document]:
        """The recipient's notifications (withdrawn ones too) after `seq`, oldest first."""
        cursor = (
            self._notifications.find({"recipient_id": recipient_id, "seq": {"$gt": seq}})
            .sort("seq", 1)
            .limit(limit)
        )
        return [doc async for doc in cursor]


def _filters_of(withdrawal: Withdrawal) -> list[dict[str, Any]]:
    """The notifications a withdrawal hides (mirrors domain.withdrawals_that_cover)."""
    match withdrawal.kind:
        case SubjectKind.INVITATION:
            return [{"invitation_id": withdrawal.subject_id}]
        case SubjectKind.POST:
            return [{"post_id": withdrawal.subject_id, "type": {"$nin": _EXEMPT_TYPES}}]
        case SubjectKind.REMIX_REQUEST:
            return [
                {"post_id": withdrawal.subject_id, "type": str(NotificationType.REMIX_REQUESTED)}
            ]
        case SubjectKind.REPLY:
            return [{"reply_id": withdrawal.subject_id}]
        case SubjectKind.USER:
            return [
                {"recipient_id": withdrawal.subject_id},
                {"actor_id": withdrawal.subject_id, "type": {"$nin": _EXEMPT_TYPES}},
            ]
