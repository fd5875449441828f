"""Counters (`shared.mongo.increment`) against the embedded MongoDB, under concurrent creation."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient

from shared.mongo import Database, Document, increment

CREATORS = 40


@pytest.fixture
async def db(mongo_url: str, namespace: str) -> AsyncIterator[Database]:
    # Many connections, so that the creators' commands really reach the server together.
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        mongo_url, tz_aware=True, maxPoolSize=CREATORS
    )
    name = f"{namespace.rstrip('.')}-counters"
    yield client[name]
    await client.drop_database(name)
    await client.close()


async def test_increment_creates_a_missing_counter_with_its_insert_fields(db: Database) -> None:
    counter = await increment(db.counters, "alice", {"count": 3}, {"owner": "alice"})

    assert counter == {"_id": "alice", "count": 3, "owner": "alice"}


async def test_concurrent_first_increments_each_get_their_own_value(db: Database) -> None:
    for round_number in range(10):
        counter_id = f"race-{round_number}"

        values = await asyncio.gather(
            *(increment(db.counters, counter_id, {"seq": 1}) for _ in range(CREATORS))
        )

        assert sorted(int(value["seq"]) for value in values) == list(range(1, CREATORS + 1))
        stored = await db.counters.find_one({"_id": counter_id})
        assert stored is not None
        assert stored["seq"] == CREATORS
