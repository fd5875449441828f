"""Remote followers of local users: one document per (local user, remote actor). An undone
follow keeps its document, marked `undone_at`, so that the write can carry its event."""

import re
from datetime import datetime
from typing import Any

from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import with_events

REMOTE_FOLLOWERS = "remote_followers"
REMOTE_FOLLOWERS_INDEXES = [IndexSpec(REMOTE_FOLLOWERS, [("user_id", 1)])]

# Documents written before follows could be undone have no `undone_at`: they are active.
_ACTIVE: Document = {"undone_at": None}


class RemoteFollowers:
    def __init__(self, db: Database) -> None:
        self._followers = db[REMOTE_FOLLOWERS]

    async def add(
        self,
        follower: dict[str, Any],
        events: list[EventEnvelope],
        *,
        undone_at: datetime | None = None,
    ) -> None:
        """Stores the follower (again, for a repeated Follow) with the events it causes;
        `undone_at`: a Follow refused at once, stored ended."""
        key = {"_id": f"{follower['user_id']} {follower['actor_id']}"}
        update = {"$set": {**follower, "undone_at": undone_at}}
        await self._followers.update_one(key, with_events(update, events), upsert=True)

    async def active(
        self, actor_id: str, *, follow_id: str | None = None, user_id: str | None = None
    ) -> list[Document]:
        """One remote actor's follows: those with this Follow id, or of this local user."""
        criteria: list[dict[str, Any]] = []
        if follow_id is not None:
            criteria.append({"follow_id": follow_id})
        if user_id is not None:
            criteria.append({"user_id": user_id})
        if not criteria:
            return []
        found = self._followers.find({"actor_id": actor_id, "$or": criteria, **_ACTIVE})
        return await found.to_list()

    async def of_follower(self, user_id: str, follower_id: str) -> list[Document]:
        """The follows of `user_id` by the remote account `follower_id` (its CoPost id)."""
        found = self._followers.find({"user_id": user_id, "follower_id": follower_id, **_ACTIVE})
        return await found.to_list()

    async def undo(self, follower: Document, at: datetime, events: list[EventEnvelope]) -> bool:
        """Ends one follow (False when it already was) with the events that announce it."""
        update = with_events({"$set": {"undone_at": at}}, events)
        result = await self._followers.update_one({"_id": follower["_id"], **_ACTIVE}, update)
        return result.modified_count == 1

    async def end_all_of(self, actor_id: str, at: datetime) -> None:
        """Ends every follow of a remote actor that is gone (deleted): nothing is announced,
        the account's deletion ends its follows where they are the users service's."""
        await self._followers.update_many(
            {"actor_id": actor_id, **_ACTIVE}, {"$set": {"undone_at": at}}
        )

    async def delivery_inboxes(self, user_ids: list[str]) -> list[str]:
        """Where to send what these users publish: each following server once, at its shared
        inbox (an actor without one, at its own inbox)."""
        found = self._followers.find(
            {"user_id": {"$in": user_ids}, **_ACTIVE}, {"inbox": 1, "shared_inbox": 1, "_id": 0}
        )
        return sorted({doc.get("shared_inbox") or doc["inbox"] async for doc in found})

    async def count(self, user_id: str, *, excluding: list[str]) -> int:
        """How many remote actors follow `user_id`, but those on the `excluding` domains (or
        their subdomains)."""
        total = await self._followers.count_documents({"user_id": user_id, **_ACTIVE})
        if not excluding:
            return total
        on_blocked = await self._followers.count_documents(
            {
                "user_id": user_id,
                "actor_id": {"$regex": _on_domains(excluding), "$options": "i"},
                **_ACTIVE,
            }
        )
        return total - on_blocked

    async def forget_user(self, user_id: str) -> None:
        await self._followers.delete_many({"user_id": user_id})


def _on_domains(domains: list[str]) -> str:
    """A pattern matching the URLs on these domains or their subdomains (any port)."""
    names = "|".join(re.escape(domain) for domain in domains)
    return rf"^[a-z]+://([^/@]*@)?([^/:@]+\.)?({names})(:[0-9]+)?(/|$)"
