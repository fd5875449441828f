"""The post cards every timeline capability reads: `post_cards`, `_id` the post id, the post's
content and its credits (`PostCard`), and its like and reply counts with their
`counts_version` (the highest version announced wins) and its remix count, neither of which is
written with the card.

Published cards are also kept in Redis (`card_cache`) for the reads: every write here deletes
the card's copy after its MongoDB write, and the next read copies it again.
"""

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from pydantic import TypeAdapter
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.events.posts import PostCounts
from shared.idempotency import APPLIED_EVENTS, write_once
from shared.mongo import Database, Document, IndexSpec
from shared.read_cache import CachedValues, ValuesRead
from shared.redis_store import RedisClient
from timeline.core.rules import PostCard

POST_CARDS = "post_cards"
# A card is rewritten whole on its `version`; lost races on one post are rare.
MAX_CARD_WRITE_ATTEMPTS = 10
DUPLICATE_KEY = 11000

CARD_INDEXES = [IndexSpec(POST_CARDS, [("remix_of_post_id", 1), ("remix_status", 1)])]

_CARD = TypeAdapter(PostCard)
# Kept on the card document but never written with the card: each has its own writer.
_NOT_WRITTEN_WITH_THE_CARD = {"post_id", "remix_count", "like_count", "reply_count"}


class CardWriteConflict(RuntimeError):
    """Too many concurrent writers on one card; the event is retried by the bus."""


def card_cache(redis: RedisClient, prefix: str, ttl_seconds: int) -> CachedValues[PostCard]:
    return CachedValues(
        redis,
        f"{prefix}card:",
        ttl_seconds,
        encode=lambda card: _CARD.dump_json(card).decode(),
        decode=_CARD.validate_json,
    )


class PostCardRepository:
    def __init__(self, db: Database, cache: CachedValues[PostCard] | None = None) -> None:
        self._cards = db[POST_CARDS]
        self._cache = cache

    async def change(
        self, post_id: str, change: Callable[[PostCard], PostCard], *, likely_new: bool = False
    ) -> tuple[PostCard, PostCard]:
        """Apply `change(card) -> card` as one conditional write; returns (before, after).

        `likely_new`: the card most likely does not exist yet (a post just published), so
        the write is tried first, without reading: one command instead of two.
        """
        if likely_new:
            before = PostCard(post_id)
            after = change(before)
            if await self._write(after, None):
                return before, after
        for _ in range(MAX_CARD_WRITE_ATTEMPTS):
            document = await self._cards.find_one({"_id": post_id}, {APPLIED_EVENTS: 0})
            before = _card(document) if document else PostCard(post_id)
            after = change(before)
            if after == before or await self._write(after, document):
                return before, after
        raise CardWriteConflict(post_id)

    async def _write(self, card: PostCard, previous: Document | None) -> bool:
        if previous is None:
            with contextlib.suppress(DuplicateKeyError):
                await self._cards.insert_one({"_id": card.post_id, **_card_fields(card)})
                await self._changed([card.post_id])
                return True
            return False
        result = await self._cards.update_one(
            {"_id": card.post_id, "version": previous["version"]},
            {"$set": _card_fields(card, version=previous["version"] + 1)},
        )
        await self._changed([card.post_id])
        return result.modified_count == 1

    async def _changed(self, post_ids: Sequence[str]) -> None:
        """After any write to these cards, whether or not it changed them."""
        if self._cache is not None:
            await self._cache.invalidate(post_ids)

    async def recount_remixes(self, original_id: str) -> None:
        """Count the original's approved published remixes into its card (made if not yet
        there, as `unknown`: its post.published fills the rest)."""
        count = await self._cards.count_documents(
            {"remix_of_post_id": original_id, "remix_status": "approved", "status": "published"}
        )
        with contextlib.suppress(DuplicateKeyError):
            await self._cards.update_one(
                {"_id": original_id},
                {
                    "$set": {"remix_count": count},
                    "$setOnInsert": _card_fields(PostCard(original_id)),
                },
                upsert=True,
            )
        await self._changed([original_id])

    async def record_counts(self, post_id: str, counts: PostCounts) -> None:
        """Keep the counts unless the card has this version of them or a newer one (a card
        not there yet is made `unknown`, as for a remix count)."""
        with contextlib.suppress(DuplicateKeyError):  # this version or a newer one is stored
            await self._cards.update_one(*_counts_update(post_id, counts), upsert=True)
        await self._changed([post_id])

    async def record_counts_once(self, event_id: UUID, post_id: str, counts: PostCounts) -> None:
        """`record_counts` as a single-write handler's one write (`write_once`)."""
        await write_once(self._cards, event_id, *_counts_update(post_id, counts), upsert=True)
        await self._changed([post_id])

    async def record_many_counts(self, counts: Mapping[str, PostCounts]) -> None:
        """`record_counts` for many posts in one command."""
        if not counts:
            return
        writes = [
            UpdateOne(*_counts_update(post_id, post_counts), upsert=True)
            for post_id, post_counts in counts.items()
        ]
        try:
            await self._cards.bulk_write(writes, ordered=False)
        except BulkWriteError as exc:
            raise_unless_only_duplicate_keys(exc)
        await self._changed(list(counts))

    async def forget_counts(self, post_id: str) -> None:
        await self._cards.update_one({"_id": post_id}, {"$unset": dict.fromkeys(COUNT_FIELDS, "")})
        await self._changed([post_id])

    async def published(self, post_ids: Sequence[str]) -> dict[str, PostCard]:
        if self._cache is None:
            return await self._published(list(post_ids))
        return await self._cache.get_many(post_ids, self._published)

    def published_read(self, post_ids: Sequence[str]) -> ValuesRead[PostCard]:
        """`published`, as a read made together with another (`read_values_together`)."""
        return ValuesRead(self._cache, post_ids, self._published)

    async def _published(self, post_ids: list[str]) -> dict[str, PostCard]:
        cursor = self._cards.find(
            {"_id": {"$in": list(post_ids)}, "status": "published"}, {APPLIED_EVENTS: 0}
        )
        return {document["_id"]: _card(document) async for document in cursor}


COUNTS_VERSION = "counts_version"
COUNT_FIELDS = ("like_count", "reply_count", COUNTS_VERSION)


def _counts_update(post_id: str, counts: PostCounts) -> tuple[Document, Document]:
    """Filter and update of a counts write: `$not $gte` also matches a card without counts."""
    return (
        {"_id": post_id, COUNTS_VERSION: {"$not": {"$gte": counts.version}}},
        {
            "$set": {
                "like_count": counts.like_count,
                "reply_count": counts.reply_count,
                COUNTS_VERSION: counts.version,
            },
            "$setOnInsert": _card_fields(PostCard(post_id)),
        },
    )


def _card_fields(card: PostCard, version: int = 1) -> Document:
    return {"version": version, **_CARD.dump_python(card, exclude=_NOT_WRITTEN_WITH_THE_CARD)}


def _card(document: Document) -> PostCard:
    return _CARD.validate_python({**document, "post_id": document["_id"]})


def raise_unless_only_duplicate_keys(exc: BulkWriteError) -> None:
    """A bulk write of upserts guarded by a version collides where a newer one is stored."""
    errors = exc.details.get("writeErrors", [])
    if exc.details.get("writeConcernErrors") or any(
        error["code"] != DUPLICATE_KEY for error in errors
    ):
        raise exc


async def upsert_if_newer(
    collection: AsyncCollection[Document],
    document_id: str,
    version_field: str,
    version: int | datetime,
    fields: Document,
) -> None:
    """Write `fields` unless the stored document has this version or a newer one."""
    with contextlib.suppress(DuplicateKeyError):  # a newer state is stored
        await collection.update_one(
            {"_id": document_id, version_field: {"$lt": version}},
            {"$set": {**fields, version_field: version}},
            upsert=True,
        )
