"""Remote actors local users follow: one document per (local user, remote actor), `pending`
until the remote server accepts, `ended_at` once unfollowed or refused (kept, so that the
write can carry its events)."""

from datetime import datetime

from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import with_events

REMOTE_FOLLOWEES = "remote_followees"
FOLLOWEES_INDEXES = [
    IndexSpec(REMOTE_FOLLOWEES, [("follower_id", 1), ("followee_id", 1)]),
    IndexSpec(REMOTE_FOLLOWEES, [("follow_id", 1)]),
    IndexSpec(REMOTE_FOLLOWEES, [("actor_id", 1)]),
]

_ACTIVE: Document = {"ended_at": None}


class RemoteFollowees:
    def __init__(self, db: Database) -> None:
        self._followees = db[REMOTE_FOLLOWEES]

    async def active(self, follower_id: str, followee_id: str) -> Document | None:
        return await self._followees.find_one(
            {"follower_id": follower_id, "followee_id": followee_id, **_ACTIVE}
        )

    async def is_followed(self, actor_id: str) -> bool:
        """Whether any local user follows (or asked to follow) this remote actor."""
        found = await self._followees.find_one({"actor_id": actor_id, **_ACTIVE}, {"_id": 1})
        return found is not None

    async def active_by_follow(self, actor_id: str, follow_id: str) -> Document | None:
        """The follow a remote actor answers, by the id of the Follow sent to it."""
        return await self._followees.find_one(
            {"actor_id": actor_id, "follow_id": follow_id, **_ACTIVE}
        )

    async def start(self, followee: Document, events: list[EventEnvelope]) -> None:
        """Stores a new follow (or a new Follow of one that ended) with the Follow's delivery."""
        key = {"_id": f"{followee['follower_id']} {followee['actor_id']}"}
        update = {"$set": {**followee, "state": "pending", "ended_at": None}}
        await self._followees.update_one(key, with_events(update, events), upsert=True)

    async def accept(self, followee: Document, at: datetime) -> None:
        await self._followees.update_one(
            {"_id": followee["_id"], **_ACTIVE}, {"$set": {"state": "accepted", "accepted_at": at}}
        )

    async def end(self, followee: Document, at: datetime, events: list[EventEnvelope]) -> bool:
        update = with_events({"$set": {"ended_at": at}}, events)
        result = await self._followees.update_one({"_id": followee["_id"], **_ACTIVE}, update)
        return result.modified_count == 1

    async def count(self, follower_id: str) -> int:
        """How many remote actors `follower_id` follows (accepted or not yet answered)."""
        return await self._followees.count_documents({"follower_id": follower_id, **_ACTIVE})

    async def forget_user(self, user_id: str) -> None:
        await self._followees.delete_many({"follower_id": user_id})
