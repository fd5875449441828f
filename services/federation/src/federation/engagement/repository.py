"""What remote accounts did to local posts: one document per remote activity (a Like, an
Announce, the Create of a reply), by its id, written with the fact it causes; an Undo or a
Delete marks it undone, with its own fact, once."""

from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter
from pymongo.errors import DuplicateKeyError

from shared.events import EventEnvelope
from shared.mongo import Database, IndexSpec
from shared.outbox import WITHOUT_OUTBOX, with_events

REMOTE_ENGAGEMENTS = "remote_engagements"
REMOTE_ENGAGEMENTS_INDEXES = [IndexSpec(REMOTE_ENGAGEMENTS, [("note_id", 1)], {"sparse": True})]


@dataclass(frozen=True, slots=True)
class RemoteEngagement:
    """`kind`: the activity's type (Like, Announce or Create); a reply's Note and local id."""

    activity_id: str
    kind: str
    actor_id: str
    user_id: str
    post_id: str
    received_at: datetime
    note_id: str | None = None
    reply_id: str | None = None


_ENGAGEMENT = TypeAdapter(RemoteEngagement)


class RemoteEngagements:
    def __init__(self, db: Database) -> None:
        self._engagements = db[REMOTE_ENGAGEMENTS]

    async def record(self, engagement: RemoteEngagement, events: list[EventEnvelope]) -> bool:
        """Stores the activity with its fact; False (nothing written) when it is known."""
        document = _ENGAGEMENT.dump_python(engagement)
        activity_id = document.pop("activity_id")
        try:
            result = await self._engagements.update_one(
                {"_id": activity_id, "kind": {"$exists": False}},
                with_events({"$setOnInsert": document}, events),
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return result.upserted_id is not None

    async def get(self, activity_id: str) -> RemoteEngagement | None:
        document = await self._engagements.find_one({"_id": activity_id}, WITHOUT_OUTBOX)
        return _engagement(document) if document else None

    async def reply_of(self, note_id: str, actor_id: str) -> RemoteEngagement | None:
        document = await self._engagements.find_one(
            {"note_id": note_id, "actor_id": actor_id}, WITHOUT_OUTBOX
        )
        return _engagement(document) if document else None

    async def undo(
        self, engagement: RemoteEngagement, at: datetime, events: list[EventEnvelope]
    ) -> bool:
        """Marks the activity undone with its fact (stored now, if it came before this service
        recorded such activities); False when it was undone already, or is another actor's."""
        document = _ENGAGEMENT.dump_python(engagement)
        activity_id, actor_id = document.pop("activity_id"), document.pop("actor_id")
        try:
            result = await self._engagements.update_one(
                {"_id": activity_id, "actor_id": actor_id, "undone_at": None},
                with_events({"$set": {"undone_at": at}, "$setOnInsert": document}, events),
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return result.upserted_id is not None or result.modified_count == 1


def _engagement(document: dict[str, object]) -> RemoteEngagement:
    fields = {key: value for key, value in document.items() if key not in ("_id", "undone_at")}
    return _ENGAGEMENT.validate_python({"activity_id": document["_id"], **fields})
