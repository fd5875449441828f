"""The activities an inbox has taken, by id: a repeated delivery is recognised and skipped;
and the activities undone before they arrived, so that arriving late they are not taken."""

from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from shared.clock import utc_now
from shared.mongo import Database, IndexSpec

RECEIVED_ACTIVITIES = "received_activities"
UNDONE_ACTIVITIES = "undone_activities"
# How long an Undo is remembered: servers retry a delivery for days (Mastodon about a week).
UNDONE_KEPT = timedelta(days=7)
UNDONE_ACTIVITIES_INDEXES = [
    IndexSpec(UNDONE_ACTIVITIES, [("expires_at", 1)], {"expireAfterSeconds": 0})
]


class ReceivedActivities:
    def __init__(self, db: Database) -> None:
        self._received = db[RECEIVED_ACTIVITIES]

    async def claim(self, activity_id: str, actor_id: str) -> bool:
        """True the first time an activity arrives; False for a repeat."""
        try:
            await self._received.insert_one(
                {"_id": activity_id, "actor_id": actor_id, "received_at": utc_now()}
            )
        except DuplicateKeyError:
            return False
        return True

    async def release(self, activity_id: str) -> None:
        """Its handling failed: the sender's retry must be handled, not skipped."""
        await self._received.delete_one({"_id": activity_id})


class UndoneActivities:
    """Tombstones of undone activities, by the Undo's actor and the id it names: only that
    actor's own activity of that id is refused when it arrives after its Undo (another actor's
    Undo of it takes nothing back, now or later)."""

    def __init__(self, db: Database) -> None:
        self._undone = db[UNDONE_ACTIVITIES]

    async def remember(self, activity_id: str, actor_id: str) -> None:
        now = utc_now()
        await self._undone.update_one(
            {"_id": _tombstone_id(activity_id, actor_id)},
            {"$setOnInsert": {"undone_at": now, "expires_at": now + UNDONE_KEPT}},
            upsert=True,
        )

    async def was_undone(self, activity_id: str, actor_id: str) -> bool:
        found = await self._undone.find_one({"_id": _tombstone_id(activity_id, actor_id)})
        return found is not None


def _tombstone_id(activity_id: str, actor_id: str) -> str:
    # A space cannot be in either URL, so no two pairs make one id.
    return f"{actor_id} {activity_id}"
