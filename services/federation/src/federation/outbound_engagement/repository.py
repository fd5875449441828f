"""What local accounts sent about remote posts: one document per Like and per reply Note, by
the activity's (or Note's) id, written with the deliveries that send it; its Undo or Delete
marks it ended, with its own deliveries, once."""

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import WITHOUT_OUTBOX, outbox_fields, with_events

SENT_ENGAGEMENTS = "sent_engagements"
SENT_ENGAGEMENTS_INDEXES = [
    IndexSpec(SENT_ENGAGEMENTS, [("kind", 1), ("post_id", 1), ("user_id", 1), ("ended_at", 1)])
]


class SentEngagements:
    def __init__(self, db: Database) -> None:
        self._sent = db[SENT_ENGAGEMENTS]

    async def record(self, sent: Document, events: list[EventEnvelope]) -> bool:
        """False when it was sent already (a redelivered event)."""
        document = {**sent, "ended_at": None, **outbox_fields(events)}
        try:
            await self._sent.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, sent_id: str) -> Document | None:
        return await self._sent.find_one({"_id": sent_id}, WITHOUT_OUTBOX)

    async def live_like(self, post_id: str, user_id: str, before_seq: int) -> Document | None:
        """The account's Like of the post still standing, older than the unlike `before_seq`."""
        query = {
            "kind": "Like",
            "post_id": post_id,
            "user_id": user_id,
            "ended_at": None,
            "like_seq": {"$lt": before_seq},
        }
        return await self._sent.find_one(query, WITHOUT_OUTBOX, sort=[("like_seq", -1)])

    async def end(self, sent: Document, at: datetime, events: list[EventEnvelope]) -> bool:
        """Marks it undone or deleted, once."""
        result = await self._sent.update_one(
            {"_id": sent["_id"], "ended_at": None},
            with_events({"$set": {"ended_at": at}}, events),
        )
        return result.modified_count == 1
