"""Idempotent consumption: the event ids a service has handled, kept in its own database."""

import contextlib
from datetime import timedelta
from uuid import UUID

from pymongo.errors import DuplicateKeyError

from shared.clock import utc_now
from shared.mongo import Database, IndexSpec

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
