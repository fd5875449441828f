"""The follower replica's edges (`FollowRepository.record`) against the embedded MongoDB: the
newest state wins whatever the order and concurrency of the writes, without find-and-modify."""

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from shared.mongo import Database
from shared.testing import counted_database, own_database
from timeline.fanout.repository import FOLLOWS, FollowRepository

WRITERS = 40
START = datetime(2026, 12, 7, tzinfo=UTC)


def at(second: int) -> datetime:
    return START + timedelta(seconds=second)


@pytest.fixture
async def db(mongo_url: str, namespace: str) -> AsyncIterator[Database]:
    async with own_database(mongo_url, namespace, "edges", connections=WRITERS) as db:
        yield db


async def test_concurrent_states_of_one_edge_leave_the_newest(db: Database) -> None:
    follows = FollowRepository(db)
    states = [(second, second % 3 != 0) for second in range(1, WRITERS + 1)]
    random.Random(7).shuffle(states)  # noqa: S311 -- a reproducible order, not a secret

    updates = await asyncio.gather(
        *(follows.record("x", "ann", active=active, as_of=at(second)) for second, active in states)
    )

    stored = await db[FOLLOWS].find_one({"_id": "x:ann"})
    assert stored is not None
    assert (stored["as_of"], stored["active"]) == (at(WRITERS), WRITERS % 3 != 0)
    newest = updates[states.index((WRITERS, WRITERS % 3 != 0))]
    assert newest.applied  # nothing is newer: never refused
    assert await follows.active_followees("x") == (["ann"] if WRITERS % 3 else [])


async def test_an_older_state_is_refused_and_the_same_one_applied_again(db: Database) -> None:
    follows = FollowRepository(db)

    first = await follows.record("x", "ann", active=True, as_of=at(10))
    older = await follows.record("x", "ann", active=False, as_of=at(5))
    again = await follows.record("x", "ann", active=True, as_of=at(10))
    ended = await follows.record("x", "ann", active=False, as_of=at(20))

    assert (first.applied, first.changed) == (True, True)
    assert (older.applied, older.changed) == (False, False)
    assert (again.applied, again.changed) == (True, False)
    assert (ended.applied, ended.changed) == (True, True)
    assert await follows.active_followees("x") == []


async def test_an_unfollow_reads_and_writes_its_edge_by_id(mongo_url: str, db: Database) -> None:
    await FollowRepository(db).record("x", "ann", active=True, as_of=at(10))
    async with counted_database(mongo_url, db.name) as (counted, commands):
        update = await FollowRepository(counted).record("x", "ann", active=False, as_of=at(20))

    assert (update.applied, update.changed) == (True, True)
    assert dict(commands) == {
        "insert follows": 1,  # a new edge is this one insert; here a duplicate key
        "find follows": 1,  # the edge as it is
        "update follows": 1,  # written if still as read and not newer
    }
