"""The posts this instance has sent to the fediverse: one document per post, written once,
carrying the deliveries of its Create (a repeated post.published finds it and sends nothing)."""

from typing import Any

from pymongo.errors import DuplicateKeyError

from shared.events import EventEnvelope
from shared.mongo import Database
from shared.outbox import OUTBOX_FIELD, outbox_entry

PUBLISHED_NOTES = "published_notes"


class PublishedNotes:
    def __init__(self, db: Database) -> None:
        self._notes = db[PUBLISHED_NOTES]

    async def add_once(self, sent: dict[str, Any], events: list[EventEnvelope]) -> bool:
        """Stores what was sent of a post (`_id`: its id) and its deliveries, in one write;
        False if it was sent already."""
        document = {**sent, OUTBOX_FIELD: [outbox_entry(event) for event in events]}
        try:
            await self._notes.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, post_id: str) -> dict[str, Any] | None:
        return await self._notes.find_one({"_id": post_id}, {OUTBOX_FIELD: 0})
