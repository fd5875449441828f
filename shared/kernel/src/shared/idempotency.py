"""Idempotent consumption: the event ids a service has handled, kept in its own database, in
its processed-event log or, for a single-write handler, in the one document it writes."""

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from uuid import UUID

from bson import Binary
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.clock import utc_now
from shared.mongo import Database, Document, IndexSpec

PROCESSED_EVENTS = "processed_events"
# Redeliveries come within minutes; a month of ids is far more than any broker keeps.
PROCESSED_EVENTS_RETENTION = timedelta(days=30)

PROCESSED_EVENT_INDEXES = [
    IndexSpec(
        PROCESSED_EVENTS,
        [("processed_at", 1)],
        {"expireAfterSeconds": int(PROCESSED_EVENTS_RETENTION.total_seconds())},
    ),
]


class MongoProcessedEventLog:
    """The id is the document's `_id`, so a second record of it is a duplicate-key no-op."""

    def __init__(self, db: Database) -> None:
        self._collection = db[PROCESSED_EVENTS]

    async def seen(self, event_id: UUID) -> bool:
        return await self._collection.find_one({"_id": str(event_id)}, {"_id": 1}) is not None

    async def record(self, event_id: UUID, event_type: str) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self._collection.insert_one(
                {"_id": str(event_id), "type": event_type, "processed_at": utc_now()}
            )


# -- single-write handlers ---------------------------------------------------------------------
#
# A handler registered with `single_write=True` (shared.subscriptions) makes its effect as one
# `write_once`: one conditional write to one document, which also adds the event's id to that
# document's `applied_events` and only matches while the id is not there. A redelivery then
# matches nothing, with the same atomicity as the processed-event record, in the same document,
# so the bus skips `seen` and `record` (two commands) for events only such handlers handle.

APPLIED_EVENTS = "applied_events"
# The last ids kept per document. An id falls out only once this many later events have been
# applied to the same document; a redelivery comes within the retries' window (the broker hands
# back what a lost consumer held at once, then retries after 1, 5 and 30 s): 64 changes to one
# document inside that window are far beyond any single-write handler's document today (the
# cost: about 1.6 KiB of 16-byte ids on a busy document). docs/known-limits.md says what is left.
APPLIED_EVENTS_KEPT = 64

_writes_of_this_delivery: ContextVar[list[UUID] | None] = ContextVar(
    "writes_of_this_delivery", default=None
)


class NotASingleWrite(RuntimeError):
    """A single-write handler wrote twice, or `write_once` ran outside one."""


@contextmanager
def single_write_delivery() -> Iterator[None]:
    """Around a single-write handler (the subscriptions do this): it may `write_once` once."""
    token = _writes_of_this_delivery.set([])
    try:
        yield
    finally:
        _writes_of_this_delivery.reset(token)


def applied_once(filter_: Document, update: Document, event_id: UUID) -> tuple[Document, Document]:
    """The filter and update of `write_once`: matching only a document without the id, and
    pushing it onto the document's last APPLIED_EVENTS_KEPT ids."""
    if APPLIED_EVENTS in filter_ or any(APPLIED_EVENTS in fields for fields in update.values()):
        raise ValueError(f"{APPLIED_EVENTS} is kept by write_once")
    applied = Binary.from_uuid(event_id)
    pushed = {
        **update.get("$push", {}),
        APPLIED_EVENTS: {"$each": [applied], "$slice": -APPLIED_EVENTS_KEPT},
    }
    return {**filter_, APPLIED_EVENTS: {"$ne": applied}}, {**update, "$push": pushed}


async def write_once(
    collection: AsyncCollection[Document],
    event_id: UUID,
    filter_: Document,
    update: Document,
    *,
    upsert: bool = False,
) -> bool:
    """The effect of a single-write handler: `update_one(filter_, update)` applied once per
    event id, however often the event is delivered. True if it changed the document now.

    An upsert must name the document's `_id`: when a redelivery's (or a racing writer's)
    insert collides with the document already there, the write is made again as a plain
    update, which applies it unless the id is there already or the filter's own conditions
    do not hold."""
    writes = _writes_of_this_delivery.get()
    if writes is None:
        raise NotASingleWrite("write_once belongs in a handler registered with single_write")
    if writes:
        raise NotASingleWrite("a single-write handler made a second write")
    writes.append(event_id)
    if upsert and "_id" not in filter_:
        raise ValueError("an upsert by write_once names the document's _id")
    guarded_filter, guarded_update = applied_once(filter_, update, event_id)
    try:
        result = await collection.update_one(guarded_filter, guarded_update, upsert=upsert)
    except DuplicateKeyError:
        if not upsert:
            raise
        result = await collection.update_one(guarded_filter, guarded_update)
    return result.modified_count > 0 or result.upserted_id is not None
