"""The remix links on the posts collection: a remix's `remix_of` (its original, status and
request), read to list remixes and the requests to answer."""

from collections.abc import Sequence
from datetime import datetime

from posts.core.repository import POSTS, StoredPost, stored_post
from shared.events.posts import RemixStatus
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import WITHOUT_OUTBOX

REMIX_INDEXES = [
    # Remixes of a post, newest first; remix requests by id.
    IndexSpec(POSTS, [("remix_of.original_id", 1), ("remix_of.status", 1), ("created_at", -1)]),
    IndexSpec(POSTS, [("remix_of.request_id", 1)], {"sparse": True}),
]


class RemixRepository:
    def __init__(self, db: Database) -> None:
        self._posts = db[POSTS]

    async def by_remix_request(self, request_id: str) -> StoredPost | None:
        document = await self._posts.find_one({"remix_of.request_id": request_id}, WITHOUT_OUTBOX)
        return stored_post(document) if document else None

    async def remix_ids_of(self, original_id: str, statuses: Sequence[RemixStatus]) -> list[str]:
        query = {"remix_of.original_id": original_id, "remix_of.status": {"$in": list(statuses)}}
        return [doc["_id"] async for doc in self._posts.find(query, {"_id": 1})]

    async def approved_remix_counts(self, original_ids: Sequence[str]) -> dict[str, int]:
        """How many approved, published remixes each of these posts has: one command."""
        if not original_ids:
            return {}
        pipeline: list[Document] = [
            {"$match": _approved_remixes_of({"$in": list(original_ids)})},
            {"$group": {"_id": "$remix_of.original_id", "count": {"$sum": 1}}},
        ]
        cursor = await self._posts.aggregate(pipeline)
        return {row["_id"]: row["count"] async for row in cursor}

    async def approved_remixes(
        self, original_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[StoredPost]:
        """Published remixes showing the original, newest first."""
        return await self._newest_first(_approved_remixes_of(original_id), after, limit)

    async def remix_requests(
        self,
        original_ids: Sequence[str],
        status: RemixStatus | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[StoredPost]:
        """Live remixes that asked one of these originals for approval, newest first."""
        query: Document = {
            "remix_of.original_id": {"$in": list(original_ids)},
            "remix_of.request_id": {"$ne": None},
            "status": {"$ne": "deleted"},
        }
        if status is not None:
            query["remix_of.status"] = status
        return await self._newest_first(query, after, limit)

    async def ids_answerable_by(self, user_id: str) -> list[str]:
        """Live posts the user authored or is credited on: those whose remixes it answers."""
        query = {
            "status": {"$ne": "deleted"},
            "$or": [
                {"author_id": user_id},
                {"coauthors": {"$elemMatch": {"user_id": user_id, "status": "accepted"}}},
            ],
        }
        return [doc["_id"] async for doc in self._posts.find(query, {"_id": 1})]

    async def _newest_first(
        self, query: Document, after: tuple[datetime, str] | None, limit: int
    ) -> list[StoredPost]:
        if after is not None:
            created_at, post_id = after
            query = {
                **query,
                "created_at": {"$lte": created_at},
                "$nor": [{"created_at": created_at, "_id": {"$gte": post_id}}],
            }
        cursor = (
            self._posts.find(query, WITHOUT_OUTBOX)
            .sort([("created_at", -1), ("_id", -1)])
            .limit(limit)
        )
        return [stored_post(document) async for document in cursor]


def _approved_remixes_of(original_id: str | Document) -> Document:
    return {
        "remix_of.original_id": original_id,
        "remix_of.status": "approved",
        "status": "published",
    }
