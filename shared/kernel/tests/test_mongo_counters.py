"""Counters (`shared.mongo.increment`) against the embedded MongoDB, under concurrent creation."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from shared.mongo import Database, increment
from shared.testing import counted_database, own_database

CREATORS = 40


@pytest.fixture
async def db(mongo_url: str, namespace: str) -> AsyncIterator[Database]:
    async with own_database(mongo_url, namespace, "counters", connections=CREATORS) as db:
        yield db


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


async def test_concurrent_increments_of_one_counter_get_consecutive_numbers(db: Database) -> None:
    await increment(db.counters, "busy", {"seq": 1})

    values = await asyncio.gather(
        *(increment(db.counters, "busy", {"seq": 1}) for _ in range(5 * CREATORS))
    )

    assert sorted(int(value["seq"]) for value in values) == list(range(2, 5 * CREATORS + 2))
    assert await db.counters.find_one({"_id": "busy"}) == {"_id": "busy", "seq": 5 * CREATORS + 1}


async def test_concurrent_increments_of_several_fields_each_see_their_own_counts(
    db: Database,
) -> None:
    """Ups and downs race: each caller's returned counts are one state the counter passed
    through, as if the increments had run one after another."""
    changes = [1, -1] * CREATORS + [2] * CREATORS
    await increment(db.counters, "mixed", {"up": 0, "total": 0}, {"owner": "alice"})

    values = await asyncio.gather(
        *(increment(db.counters, "mixed", {"up": 1, "total": change}) for change in changes)
    )

    assert sorted(int(value["up"]) for value in values) == list(range(1, len(changes) + 1))
    by_step = {int(value["up"]): int(value["total"]) for value in values}
    for step in range(2, len(changes) + 1):
        assert by_step[step] - by_step[step - 1] in set(changes)
    assert all(value["owner"] == "alice" for value in values)
    assert await db.counters.find_one({"_id": "mixed"}) == {
        "_id": "mixed",
        "up": len(changes),
        "total": sum(changes),
        "owner": "alice",
    }


async def test_a_counter_deleted_between_increments_starts_again(db: Database) -> None:
    await increment(db.counters, "expiring", {"uploads": 4}, {"owner": "alice"})
    await db.counters.delete_one({"_id": "expiring"})  # as its TTL index would

    counter = await increment(db.counters, "expiring", {"uploads": 1}, {"owner": "alice"})

    assert counter == {"_id": "expiring", "uploads": 1, "owner": "alice"}


async def test_an_increment_is_two_commands_by_id_and_no_find_and_modify(
    mongo_url: str, namespace: str
) -> None:
    name = f"{namespace.rstrip('.')}-counted"
    async with counted_database(mongo_url, name) as (db, commands):
        await increment(db.counters, "alice", {"seq": 1})
        commands.clear()

        counter = await increment(db.counters, "alice", {"seq": 1})

        assert counter == {"_id": "alice", "seq": 2}
        assert dict(commands) == {"find counters": 1, "update counters": 1}
        await db.client.drop_database(name)
