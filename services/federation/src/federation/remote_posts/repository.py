"""Remote Notes this instance took in: one document per Note id, with its post id, author and
the time of its last version, each write carrying the fact it causes."""

from pymongo.errors import DuplicateKeyError

from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import WITHOUT_OUTBOX, outbox_fields, with_events

REMOTE_NOTES = "remote_notes"
REMOTE_NOTES_INDEXES = [IndexSpec(REMOTE_NOTES, [("post_id", 1)])]


class RemoteNotes:
    def __init__(self, db: Database) -> None:
        self._notes = db[REMOTE_NOTES]

    async def get(self, note_id: str) -> Document | None:
        return await self._notes.find_one({"_id": note_id}, WITHOUT_OUTBOX)

    async def by_post_id(self, post_id: str) -> Document | None:
        """The live Note taken in as the post `post_id`."""
        return await self._notes.find_one({"post_id": post_id, "deleted_at": None}, WITHOUT_OUTBOX)

    async def insert(self, note: Document, events: list[EventEnvelope]) -> bool:
        """False for a Note taken in already (a repeated or second Create)."""
        document = {**note, **outbox_fields(events)}
        try:
            await self._notes.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def update(self, note: Document, changes: Document, events: list[EventEnvelope]) -> bool:
        """Writes `changes` unless the Note changed since `note` was read."""
        result = await self._notes.update_one(
            {"_id": note["_id"], "updated_at": note["updated_at"], "deleted_at": None},
            with_events({"$set": changes}, events),
        )
        return result.modified_count == 1
