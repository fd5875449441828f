"""The local posts this instance shows the fediverse: one document per post, as the posts
service's events describe it, with the servers its Create went to. Each change is one write
that also carries the deliveries it causes and the id of the event that caused it."""

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from federation.publishing.rules import LocalPost, NoteMedium
from shared.events import EventEnvelope
from shared.events.posts import Credit
from shared.idempotency import APPLIED_EVENTS, write_once
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import WITHOUT_OUTBOX, with_events

PUBLISHED_NOTES = "published_notes"
# An author's outbox, newest first.
PUBLISHED_NOTES_INDEXES = [
    IndexSpec(PUBLISHED_NOTES, [("author_id", 1), ("status", 1), ("published_at", -1), ("_id", -1)])
]
_POST_FIELDS = [field.name for field in fields(LocalPost) if field.name != "post_id"]


class PostWriteConflict(RuntimeError):
    """Another event changed the post between our read and our write: the broker redelivers
    this one, which then reads the post again."""


@dataclass(frozen=True, slots=True)
class StoredPost:
    post: LocalPost
    # Bumped by every write: a write only applies to the revision it read.
    revision: int
    # Every server sent the post's Create (or a later activity), at its shared inbox.
    inboxes: tuple[str, ...]


class PublishedNotes:
    def __init__(self, db: Database) -> None:
        self._notes = db[PUBLISHED_NOTES]

    async def get(self, post_id: str) -> StoredPost | None:
        document = await self._notes.find_one(
            {"_id": post_id}, {**WITHOUT_OUTBOX, APPLIED_EVENTS: 0}
        )
        return _stored(document) if document else None

    async def count_published(self, author_id: str) -> int:
        return await self._notes.count_documents({"author_id": author_id, "status": "published"})

    async def published_by(
        self, author_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> list[LocalPost]:
        """The author's published posts, newest first, after the position `before` (its
        publication time and post id) when given."""
        query: Document = {"author_id": author_id, "status": "published"}
        if before is not None:
            at, post_id = before
            query["$or"] = [
                {"published_at": {"$lt": at}},
                {"published_at": at, "_id": {"$lt": post_id}},
            ]
        found = (
            self._notes.find(query, {**WITHOUT_OUTBOX, APPLIED_EVENTS: 0})
            .sort([("published_at", -1), ("_id", -1)])
            .limit(limit)
        )
        return [_stored(document).post async for document in found]

    async def save(
        self,
        stored: StoredPost | None,
        post: LocalPost,
        inboxes: tuple[str, ...],
        events: list[EventEnvelope],
        event_id: UUID,
    ) -> None:
        """Writes the post as changed from `stored` (None: not there yet), once per event."""
        revision = stored.revision if stored else 0
        filter_: Document = {"_id": post.post_id, "revision": revision or {"$exists": False}}
        update = with_events(
            {"$set": {**_fields(post), "inboxes": list(inboxes), "revision": revision + 1}},
            events,
        )
        if not await write_once(self._notes, event_id, filter_, update, upsert=stored is None):
            raise PostWriteConflict(post.post_id)


def _fields(post: LocalPost) -> Document:
    stored = asdict(post)
    del stored["post_id"]
    return stored


def _stored(document: Document) -> StoredPost:
    fields: dict[str, Any] = {name: document[name] for name in _POST_FIELDS if name in document}
    credits = tuple(Credit(**credit) for credit in fields.pop("credits", []))
    media = tuple(
        NoteMedium(**{**medium, "variants": tuple(medium["variants"])})
        for medium in fields.pop("media", [])
    )
    post = LocalPost(post_id=document["_id"], credits=credits, media=media, **fields)
    return StoredPost(post, document.get("revision", 0), tuple(document.get("inboxes", ())))
