"""Remote hosts' health and the deliveries held for them (waiting out a back-off, or parked)."""

from datetime import datetime
from typing import Any

from federation.delivery.rules import HostHealth
from shared.events.federation import ActivityDeliveryRequested
from shared.mongo import Database, IndexSpec

REMOTE_HOSTS = "remote_hosts"
HELD_DELIVERIES = "held_deliveries"
HELD_DELIVERIES_INDEXES = [IndexSpec(HELD_DELIVERIES, [("host", 1), ("held_at", 1)])]


class RemoteHosts:
    """Only hosts that failed have a document; a host that answers again loses it."""

    def __init__(self, db: Database) -> None:
        self._hosts = db[REMOTE_HOSTS]

    async def health(self, host: str) -> HostHealth | None:
        found = await self._hosts.find_one({"_id": host})
        if found is None:
            return None
        return HostHealth(
            host=host,
            failures=found["failures"],
            failing_since=found["failing_since"],
            next_attempt_at=found["next_attempt_at"],
            parked=found["parked"],
        )

    async def save(self, health: HostHealth) -> None:
        fields = {
            "failures": health.failures,
            "failing_since": health.failing_since,
            "next_attempt_at": health.next_attempt_at,
            "parked": health.parked,
        }
        await self._hosts.replace_one({"_id": health.host}, fields, upsert=True)

    async def parked(self) -> list[str]:
        found = self._hosts.find({"parked": True}, {"_id": 1}).sort("_id", 1)
        return [doc["_id"] async for doc in found]

    async def recovered(self, host: str) -> bool:
        """Forgets a host's failures; whether it had any."""
        return (await self._hosts.delete_one({"_id": host})).deleted_count > 0


class HeldDeliveries:
    """Deliveries not attempted now, by delivery event id (a repeated event is held once)."""

    def __init__(self, db: Database) -> None:
        self._held = db[HELD_DELIVERIES]

    async def hold(
        self, delivery_id: str, request: ActivityDeliveryRequested, host: str, *, at: datetime
    ) -> None:
        document = {"host": host, "request": request.model_dump(mode="json"), "held_at": at}
        await self._held.update_one({"_id": delivery_id}, {"$setOnInsert": document}, upsert=True)

    async def hosts(self) -> list[str]:
        return sorted(await self._held.distinct("host"))

    async def of_host(self, host: str, limit: int) -> list[tuple[str, ActivityDeliveryRequested]]:
        found = self._held.find({"host": host}).sort("held_at", 1).limit(limit)
        return [(doc["_id"], _request(doc)) async for doc in found]

    async def release(self, delivery_id: str) -> None:
        await self._held.delete_one({"_id": delivery_id})

    async def count(self, host: str | None = None) -> int:
        return await self._held.count_documents({} if host is None else {"host": host})


def _request(document: dict[str, Any]) -> ActivityDeliveryRequested:
    return ActivityDeliveryRequested.model_validate(document["request"])
