"""What engagement keeps: likes, one document per (post, liker), never a count over them; the
shared counters on each post's document, with the changes applied to them; and replies.

A like document says whether the like is `active`, which credited authors block its liker
(`hidden_by`: hidden, not lost), a `seq` that grows at each of those changes, and whether
the post's `like_count` includes it (`counted`). Settling a like (commands.py) first writes
the count change it is about to make (`pending`), then makes it on the post (once per change
id: the post keeps the ids of the last changes applied to it), then records it (`counted`):
a crash anywhere in between is finished by the next settle, which repeats the pending change,
and the post ignores a change id it already applied.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter
from pymongo.errors import DuplicateKeyError

from posts.core.repository import POSTS, StoredPost, stored_post
from posts.core.rules import Counts
from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import WITHOUT_OUTBOX, with_events
from shared.personal_data import PersonalRecords

LIKES = "likes"
# Every like the person gave, and took back (`active`).
LIKE_PERSONAL_DATA = (PersonalRecords("likes.json", LIKES, lambda user: {"user_id": user}),)
# The last counter changes applied to a post, by id: a change retried after a crash finds
# itself here and is not counted twice. Retries come within seconds; this is many changes.
RECENT_COUNT_OPS = 500

ENGAGEMENT_INDEXES = [
    IndexSpec(LIKES, [("post_id", 1), ("active", 1), ("changed_at", -1)]),
    IndexSpec(LIKES, [("user_id", 1), ("active", 1)]),
    IndexSpec(LIKES, [("unsettled", 1)], {"sparse": True}),
    IndexSpec(POSTS, [("reply_to", 1), ("created_at", 1)]),
    IndexSpec(POSTS, [("unsettled", 1)], {"sparse": True}),
    IndexSpec(POSTS, [("counted", 1)], {"sparse": True}),
]


@dataclass(frozen=True, slots=True)
class CountChange:
    """Making a like count (or stop counting) at the like's `seq`: its id on the post."""

    seq: int
    counted: bool

    def id(self, user_id: str) -> str:
        return f"like:{user_id}:{self.seq}"


@dataclass(frozen=True, slots=True)
class Like:
    post_id: str
    user_id: str
    changed_at: datetime
    active: bool = False
    hidden_by: tuple[str, ...] = ()
    seq: int = 0
    counted: bool = False
    # The count change begun and maybe not finished.
    pending: CountChange | None = None


_LIKE = TypeAdapter(Like)


def like_id(post_id: str, user_id: str) -> str:
    return f"{post_id}:{user_id}"


class LikeRepository:
    def __init__(self, db: Database) -> None:
        self._likes = db[LIKES]

    async def get(self, post_id: str, user_id: str) -> Like | None:
        document = await self._likes.find_one({"_id": like_id(post_id, user_id)})
        return _like(document) if document else None

    async def activate(
        self, post_id: str, user_id: str, hidden_by: list[str], at: datetime
    ) -> bool:
        """False when the like was already active (a repeated PUT)."""
        try:
            result = await self._likes.update_one(
                {"_id": like_id(post_id, user_id), "active": {"$ne": True}},
                {
                    "$set": {
                        "post_id": post_id,
                        "user_id": user_id,
                        "active": True,
                        "hidden_by": hidden_by,
                        "changed_at": at,
                        "unsettled": True,
                    },
                    "$inc": {"seq": 1},
                    "$setOnInsert": {"counted": False},
                },
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return result.upserted_id is not None or result.modified_count == 1

    async def deactivate(self, post_id: str, user_id: str, at: datetime) -> bool:
        result = await self._likes.update_one(
            {"_id": like_id(post_id, user_id), "active": True},
            {"$set": {"active": False, "changed_at": at, "unsettled": True}, "$inc": {"seq": 1}},
        )
        return result.modified_count == 1

    async def hide(self, post_id: str, user_id: str, blocker_id: str) -> None:
        await self._likes.update_one(
            {"_id": like_id(post_id, user_id), "hidden_by": {"$ne": blocker_id}},
            {"$push": {"hidden_by": blocker_id}, "$inc": {"seq": 1}, "$set": {"unsettled": True}},
        )

    async def unhide(self, post_id: str, user_id: str, blocker_id: str) -> None:
        await self._likes.update_one(
            {"_id": like_id(post_id, user_id), "hidden_by": blocker_id},
            {"$pull": {"hidden_by": blocker_id}, "$inc": {"seq": 1}, "$set": {"unsettled": True}},
        )

    async def begin_count_change(self, like: Like, change: CountChange) -> bool:
        """Record the change about to be made; False when another settle got there first."""
        result = await self._likes.update_one(
            {
                "_id": like_id(like.post_id, like.user_id),
                "pending": None,
                "counted": like.counted,
            },
            {"$set": {"pending": {"seq": change.seq, "counted": change.counted}}},
        )
        return result.modified_count == 1

    async def finish_count_change(self, like: Like, change: CountChange) -> None:
        await self._likes.update_one(
            {"_id": like_id(like.post_id, like.user_id), "pending.seq": change.seq},
            {"$set": {"counted": change.counted}, "$unset": {"pending": ""}},
        )

    async def mark_settled(self, like: Like) -> None:
        """Only if nothing changed since `like` was read: otherwise the next settle does it."""
        await self._likes.update_one(
            {"_id": like_id(like.post_id, like.user_id), "seq": like.seq, "pending": None},
            {"$unset": {"unsettled": ""}},
        )

    async def unsettled(self, limit: int) -> list[Like]:
        """Likes whose count a crash may have left behind (for the periodic settle)."""
        cursor = self._likes.find({"unsettled": True}).limit(limit)
        return [_like(document) async for document in cursor]

    async def liked_among(self, user_id: str, post_ids: list[str]) -> set[str]:
        """Which of these posts the user likes (and whose like is visible): one query."""
        ids = [like_id(post_id, user_id) for post_id in post_ids]
        if not ids:
            return set()
        cursor = self._likes.find(
            {"_id": {"$in": ids}, "active": True, "hidden_by": {"$size": 0}}, {"post_id": 1}
        )
        return {document["post_id"] async for document in cursor}

    async def visible_page(
        self, post_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[Like]:
        """The post's visible likes, newest first, after the cursor's (time, id)."""
        query: Document = {"post_id": post_id, "active": True, "hidden_by": {"$size": 0}}
        if before is not None:
            query["$or"] = [
                {"changed_at": {"$lt": before[0]}},
                {"changed_at": before[0], "_id": {"$lt": before[1]}},
            ]
        cursor = self._likes.find(query).sort([("changed_at", -1), ("_id", -1)]).limit(limit)
        return [_like(document) async for document in cursor]

    async def active_of_user(self, user_id: str) -> list[Like]:
        cursor = self._likes.find({"user_id": user_id, "active": True})
        return [_like(document) async for document in cursor]

    async def delete_of_post(self, post_id: str) -> None:
        await self._likes.delete_many({"post_id": post_id})


def _like(document: Document) -> Like:
    return _LIKE.validate_python(document)


@dataclass(frozen=True, slots=True)
class CountedPost:
    """A post with its shared counters, and the ids of the last changes applied to them."""

    stored: StoredPost
    applied: frozenset[str]


class CountRepository:
    """The shared counters on the posts' documents, each change written with its event."""

    def __init__(self, db: Database) -> None:
        self._posts = db[POSTS]

    async def get(self, post_id: str) -> CountedPost | None:
        document = await self._posts.find_one({"_id": post_id}, WITHOUT_OUTBOX)
        if document is None:
            return None
        return CountedPost(stored_post(document), frozenset(document.get("applied_ops", ())))

    async def write(
        self,
        post_id: str,
        before: Counts,
        after: Counts,
        op_id: str,
        events: Sequence[EventEnvelope],
    ) -> bool:
        """A compare-and-set on the counters' version: False when they changed since `before`."""
        update = {
            "$set": {
                "like_count": after.like_count,
                "reply_count": after.reply_count,
                "counts_version": after.version,
            },
            "$push": {"applied_ops": {"$each": [op_id], "$slice": -RECENT_COUNT_OPS}},
        }
        version_filter = before.version if before.version else {"$in": [0, None]}
        result = await self._posts.update_one(
            {"_id": post_id, "counts_version": version_filter}, with_events(update, events)
        )
        return result.modified_count == 1


class ReplyRepository:
    """Replies on the posts collection: the thread under a post, and whether each is counted."""

    def __init__(self, db: Database) -> None:
        self._posts = db[POSTS]

    async def mark_counted(self, post_id: str, counted: bool) -> None:
        """A reply's own flag: whether its parent's reply_count includes it."""
        await self._posts.update_one(
            {"_id": post_id}, {"$set": {"counted": counted}, "$unset": {"unsettled": ""}}
        )

    async def mark_reply_settled(self, post_id: str) -> None:
        await self._posts.update_one({"_id": post_id}, {"$unset": {"unsettled": ""}})

    async def unsettled_reply_ids(self, limit: int) -> list[str]:
        """Replies never counted (a crash after their insert) or deleted but still counted."""
        ids = []
        for query in ({"unsettled": True}, {"counted": True, "status": "deleted"}):
            cursor = self._posts.find(query, {"_id": 1}).limit(limit)
            ids += [document["_id"] async for document in cursor]
        return ids

    async def is_counted(self, post_id: str) -> bool:
        document = await self._posts.find_one({"_id": post_id}, {"counted": 1})
        return bool(document and document.get("counted"))

    async def page(
        self,
        post_id: str,
        *,
        hidden_authors: Iterable[str],
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[StoredPost]:
        """Live replies to the post, oldest first, leaving out the hidden authors."""
        query: Document = {
            "reply_to": post_id,
            "status": "published",
            "author_id": {"$nin": list(hidden_authors)},
        }
        if after is not None:
            query["$or"] = [
                {"created_at": {"$gt": after[0]}},
                {"created_at": after[0], "_id": {"$gt": after[1]}},
            ]
        cursor = (
            self._posts.find(query, WITHOUT_OUTBOX)
            .sort([("created_at", 1), ("_id", 1)])
            .limit(limit)
        )
        return [stored_post(document) async for document in cursor]

    async def reply_ids_by(self, user_id: str) -> list[str]:
        cursor = self._posts.find(
            {"author_id": user_id, "reply_to": {"$type": "string"}}, {"_id": 1}
        )
        return [document["_id"] async for document in cursor]
