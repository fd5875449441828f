"""The activities an inbox has taken, by id: a repeated delivery is recognised and skipped."""

from pymongo.errors import DuplicateKeyError

from shared.clock import utc_now
from shared.mongo import Database

RECEIVED_ACTIVITIES = "received_activities"


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
