"""MongoDB access to likes: one document per (post, liker), never a count over them.

A like document says whether the like is `active`, which credited authors block its liker
(`hidden_by`: hidden, not lost), a `seq` that grows at each of those changes, and whether
the post's `like_count` includes it (`counted`). Settling a like (engagement.py) first
writes the count change it is about to make (`pending`), then makes it on the post
(`PostRepository.apply_count`, once per change id), then records it (`counted`): a crash
anywhere in between is finished by the next settle, which repeats the pending change, and
the post ignores a change id it already applied.
"""

from dataclasses import dataclass
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from shared.mongo import Database, Document, IndexSpec

LIKES = "likes"

LIKE_INDEXES = [
    IndexSpec(LIKES, [("post_id", 1), ("active", 1), ("changed_at", -1)]),
    IndexSpec(LIKES, [("user_id", 1), ("active", 1)]),
    IndexSpec(LIKES, [("unsettled", 1)], {"sparse": True}),
]


@dataclass(frozen=True)
class CountChange:
    """Making a like count (or stop counting) at the like's `seq`: its id on the post."""

    seq: int
    counted: bool

    def id(self, user_id: str) -> str:
        return f"like:{user_id}:{self.seq}"


@dataclass(frozen=True)
class Like:
    post_id: str
    user_id: str
    active: bool
    hidden_by: tuple[str, ...]
    seq: int
    counted: bool
    changed_at: datetime
    # The count change begun and maybe not finished.
    pending: CountChange | None = None


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
    return Like(
        post_id=document["post_id"],
        user_id=document["user_id"],
        active=bool(document.get("active")),
        hidden_by=tuple(document.get("hidden_by", ())),
        seq=int(document.get("seq", 0)),
        counted=bool(document.get("counted")),
        changed_at=document["changed_at"],
        pending=(
            CountChange(int(document["pending"]["seq"]), bool(document["pending"]["counted"]))
            if document.get("pending")
            else None
        ),
    )
