"""Remote followers of local users: one document per (local user, remote actor)."""

import re
from typing import Any

from shared.events import EventEnvelope
from shared.mongo import Database, IndexSpec
from shared.outbox import with_events

REMOTE_FOLLOWERS = "remote_followers"
REMOTE_FOLLOWERS_INDEXES = [IndexSpec(REMOTE_FOLLOWERS, [("user_id", 1)])]


class RemoteFollowers:
    def __init__(self, db: Database) -> None:
        self._followers = db[REMOTE_FOLLOWERS]

    async def add(self, follower: dict[str, Any], events: list[EventEnvelope]) -> None:
        """Stores the follower (again, for a repeated Follow) with the events it causes."""
        key = {"_id": f"{follower['user_id']} {follower['actor_id']}"}
        await self._followers.update_one(key, with_events({"$set": follower}, events), upsert=True)

    async def remove(self, actor_id: str, *, follow_id: str | None, user_id: str | None) -> int:
        """Removes what one remote actor's Undo names: its Follow by id, or of one local user."""
        criteria: list[dict[str, Any]] = []
        if follow_id is not None:
            criteria.append({"follow_id": follow_id})
        if user_id is not None:
            criteria.append({"user_id": user_id})
        if not criteria:
            return 0
        result = await self._followers.delete_many({"actor_id": actor_id, "$or": criteria})
        return result.deleted_count

    async def delivery_inboxes(self, user_ids: list[str]) -> list[str]:
        """Where to send what these users publish: each following server once, at its shared
        inbox (an actor without one, at its own inbox)."""
        found = self._followers.find(
            {"user_id": {"$in": user_ids}}, {"inbox": 1, "shared_inbox": 1, "_id": 0}
        )
        return sorted({doc.get("shared_inbox") or doc["inbox"] async for doc in found})

    async def count(self, user_id: str, *, excluding: list[str]) -> int:
        """How many remote actors follow `user_id`, but those on the `excluding` domains (or
        their subdomains)."""
        total = await self._followers.count_documents({"user_id": user_id})
        if not excluding:
            return total
        on_blocked = await self._followers.count_documents(
            {"user_id": user_id, "actor_id": {"$regex": _on_domains(excluding), "$options": "i"}}
        )
        return total - on_blocked

    async def forget_user(self, user_id: str) -> None:
        await self._followers.delete_many({"user_id": user_id})


def _on_domains(domains: list[str]) -> str:
    """A pattern matching the URLs on these domains or their subdomains (any port)."""
    names = "|".join(re.escape(domain) for domain in domains)
    return rf"^[a-z]+://([^/@]*@)?([^/:@]+\.)?({names})(:[0-9]+)?(/|$)"
