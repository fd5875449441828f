"""Follows, blocks and mutes: one document per ordered pair, each write carrying its event.

Each relation is a document keyed by the pair (`"<from>:<to>"`) with an `active` flag:
switching the flag is one single-document write that can carry its event in the outbox, and
an upsert keyed that way makes a repeated PUT a no-op. Counts are derived by counting active
documents on indexed fields, so there is no counter to drift.

A follow document also says when a block between its two accounts may exist (`blocked`, set
by a block, either way, before it is written; cleared by the unblock that leaves none):
a follow is written only where it is not set, so following a blocked account writes nothing
and announces nothing without a read of the blocks first. It is a hint, not the rule: a set
one is checked against the blocks (and cleared if none is left), and a follow is checked
against the blocks after its write (a block made meanwhile, before its hint, wins). Documents
that only carry the hint (no follow ever made) have no `changed_at` and are nobody's record.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import with_events
from shared.personal_data import PersonalRecords

FOLLOWS = "follows"
BLOCKS = "blocks"
MUTES = "mutes"
RELATION_COLLECTIONS = (FOLLOWS, BLOCKS, MUTES)
# Whom the person follows and who follows them; whom they block and mute (not who blocks or
# mutes them: that is the other person's own business).
RELATION_PERSONAL_DATA = (
    PersonalRecords(
        "follows.json",
        FOLLOWS,
        lambda user: {
            "$or": [{"follower_id": user}, {"followee_id": user}],
            "changed_at": {"$exists": True},
        },
        hidden=("blocked",),
    ),
    PersonalRecords("blocks.json", BLOCKS, lambda user: {"blocker_id": user}),
    PersonalRecords("mutes.json", MUTES, lambda user: {"muter_id": user}),
)

RELATION_INDEXES = [
    IndexSpec(FOLLOWS, [("followee_id", 1), ("active", 1)]),
    IndexSpec(FOLLOWS, [("follower_id", 1), ("active", 1)]),
    IndexSpec(BLOCKS, [("blocker_id", 1), ("active", 1)]),
    IndexSpec(BLOCKS, [("blocked_id", 1), ("active", 1)]),
    IndexSpec(MUTES, [("muter_id", 1), ("active", 1), ("changed_at", -1)]),
]


class FollowWrite(Enum):
    MADE = "made"
    ALREADY = "already"  # active before: nothing written, nothing announced
    HINTED_BLOCKED = "hinted_blocked"  # a block may exist: not written
    RACED = "raced"  # the document changed between the write and its read


def relation_id(from_user_id: str, to_user_id: str) -> str:
    return f"{from_user_id}:{to_user_id}"


class RelationRepository:
    def __init__(self, db: Database) -> None:
        self._follows = db[FOLLOWS]
        self._blocks = db[BLOCKS]
        self._mutes = db[MUTES]

    # Follows

    async def activate_follow(
        self, follower_id: str, followee_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> FollowWrite:
        """One write where no block is hinted; a read more when the follow was not made."""
        document_id = relation_id(follower_id, followee_id)
        fields = {"follower_id": follower_id, "followee_id": followee_id}
        unhinted = {"blocked": {"$ne": True}}
        if await _activate(self._follows, document_id, fields, at, events, unhinted):
            return FollowWrite.MADE
        found = await self._follows.find_one({"_id": document_id}, {"active": 1, "blocked": 1})
        if found is not None and found.get("blocked"):
            return FollowWrite.HINTED_BLOCKED
        # Active already, or changed since the write (the caller's retry sees which).
        return FollowWrite.ALREADY if found is not None and found["active"] else FollowWrite.RACED

    async def hint_block(self, user_id: str, other_id: str) -> None:
        """Before a block between the two is written: no follow is written after it."""
        await self._follows.bulk_write(
            [
                UpdateOne(
                    {"_id": relation_id(a, b)},
                    {
                        "$set": {"blocked": True},
                        "$setOnInsert": {"follower_id": a, "followee_id": b, "active": False},
                    },
                    upsert=True,
                )
                for a, b in ((user_id, other_id), (other_id, user_id))
            ],
            ordered=False,
        )

    async def clear_block_hint(self, user_id: str, other_id: str) -> None:
        """Once no block is left between the two (the caller read so)."""
        ids = [relation_id(user_id, other_id), relation_id(other_id, user_id)]
        await self._follows.update_many(
            {"_id": {"$in": ids}, "blocked": True}, {"$unset": {"blocked": ""}}
        )

    async def hint_every_block(self) -> None:
        """The hint on the follows of every block made before hints existed (start-up)."""
        async for block in self._blocks.find({"active": True}, {"blocker_id": 1, "blocked_id": 1}):
            await self.hint_block(block["blocker_id"], block["blocked_id"])

    async def deactivate_follow(
        self, follower_id: str, followee_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        return await _deactivate(self._follows, relation_id(follower_id, followee_id), at, events)

    async def follower_ids(self, user_id: str) -> list[str]:
        cursor = self._follows.find({"followee_id": user_id, "active": True}, {"follower_id": 1})
        return [document["follower_id"] async for document in cursor]

    async def active_follows(self, ids: Iterable[str]) -> set[str]:
        return await _active_ids(self._follows, ids)

    async def followers_count(self, user_id: str) -> int:
        return await self._follows.count_documents({"followee_id": user_id, "active": True})

    async def following_count(self, user_id: str) -> int:
        return await self._follows.count_documents({"follower_id": user_id, "active": True})

    # Blocks

    async def activate_block(
        self, blocker_id: str, blocked_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        document_id = relation_id(blocker_id, blocked_id)
        fields = {"blocker_id": blocker_id, "blocked_id": blocked_id}
        return await _activate(self._blocks, document_id, fields, at, events)

    async def deactivate_block(
        self, blocker_id: str, blocked_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        return await _deactivate(self._blocks, relation_id(blocker_id, blocked_id), at, events)

    async def active_blocks(self, ids: Iterable[str]) -> set[str]:
        return await _active_ids(self._blocks, ids)

    async def active_mutes(self, ids: Iterable[str]) -> set[str]:
        return await _active_ids(self._mutes, ids)

    async def blocked_either_way(self, user_id: str, other_id: str) -> bool:
        ids = {relation_id(user_id, other_id), relation_id(other_id, user_id)}
        return bool(await self.active_blocks(ids))

    # Mutes

    async def activate_mute(
        self, muter_id: str, muted_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        fields = {"muter_id": muter_id, "muted_id": muted_id}
        return await _activate(self._mutes, relation_id(muter_id, muted_id), fields, at, events)

    async def deactivate_mute(
        self, muter_id: str, muted_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        return await _deactivate(self._mutes, relation_id(muter_id, muted_id), at, events)

    async def muted_page(
        self, muter_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[tuple[str, datetime, str]]:
        """(muted id, muted at, document id) of the accounts `muter_id` mutes, newest first."""
        query: Document = {"muter_id": muter_id, "active": True}
        if before is not None:
            query["$or"] = [
                {"changed_at": {"$lt": before[0]}},
                {"changed_at": before[0], "_id": {"$lt": before[1]}},
            ]
        cursor = self._mutes.find(query).sort([("changed_at", -1), ("_id", -1)]).limit(limit)
        return [(doc["muted_id"], doc["changed_at"], doc["_id"]) async for doc in cursor]

    async def deactivate_relations_of(self, user_id: str, at: datetime) -> None:
        """Drop a deleted account's follows and blocks; its user.deleted event says so to others."""
        deactivate = {"$set": {"active": False, "changed_at": at}}
        await self._follows.update_many(
            {"$or": [{"follower_id": user_id}, {"followee_id": user_id}], "active": True},
            deactivate,
        )
        await self._blocks.update_many(
            {"$or": [{"blocker_id": user_id}, {"blocked_id": user_id}], "active": True},
            deactivate,
        )
        await self._mutes.update_many(
            {"$or": [{"muter_id": user_id}, {"muted_id": user_id}], "active": True},
            deactivate,
        )


async def _activate(
    collection: AsyncCollection[Document],
    document_id: str,
    fields: Document,
    at: datetime,
    events: Sequence[EventEnvelope],
    condition: Document | None = None,
) -> bool:
    """Switch a relation on where `condition` holds; False when it already was on (or the
    condition failed: then its events are not written)."""
    update = with_events({"$set": {**fields, "active": True, "changed_at": at}}, events)
    try:
        # When the relation is already active the filter misses and the upsert collides on _id.
        result = await collection.update_one(
            {"_id": document_id, "active": {"$ne": True}, **(condition or {})}, update, upsert=True
        )
    except DuplicateKeyError:
        return False
    return result.upserted_id is not None or result.modified_count == 1


async def _deactivate(
    collection: AsyncCollection[Document],
    document_id: str,
    at: datetime,
    events: Sequence[EventEnvelope],
) -> bool:
    """Switch a relation off, keeping its document so the write can carry its events."""
    update = with_events({"$set": {"active": False, "changed_at": at}}, events)
    result = await collection.update_one({"_id": document_id, "active": True}, update)
    return result.modified_count == 1


async def _active_ids(collection: AsyncCollection[Document], ids: Iterable[str]) -> set[str]:
    cursor = collection.find({"_id": {"$in": list(set(ids))}, "active": True}, {"_id": 1})
    return {document["_id"] async for document in cursor}
