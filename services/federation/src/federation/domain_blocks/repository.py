"""The operator's domain blocks, one document per blocked domain (`_id` the domain, lower case,
without a trailing dot), with when it was blocked and why."""

from datetime import datetime

from shared.mongo import Database, Document

DOMAIN_BLOCKS = "domain_blocks"


class DomainBlockList:
    def __init__(self, db: Database) -> None:
        self._blocks = db[DOMAIN_BLOCKS]

    async def block(self, domain: str, reason: str | None, at: datetime) -> bool:
        """False when the domain was blocked already (its first block is kept)."""
        result = await self._blocks.update_one(
            {"_id": domain},
            {"$setOnInsert": {"reason": reason, "blocked_at": at}},
            upsert=True,
        )
        return result.upserted_id is not None

    async def unblock(self, domain: str) -> bool:
        """False when the domain was not blocked here."""
        return (await self._blocks.delete_one({"_id": domain})).deleted_count == 1

    async def all(self) -> list[Document]:
        return [document async for document in self._blocks.find({}).sort("_id", 1)]

    async def domains(self) -> list[str]:
        return [document["_id"] async for document in self._blocks.find({}, {"_id": 1})]
