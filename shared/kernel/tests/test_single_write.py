"""Single-write handlers against a real RabbitMQ and the Mongo wire server: the event's id kept
in the one document the handler writes makes every redelivery a no-op, without the
processed-event log."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from bson import Binary

from shared.bus import EventBus
from shared.events import EventEnvelope, make_event, parse_event_data
from shared.events.users import UserFollowed
from shared.idempotency import (
    APPLIED_EVENTS,
    APPLIED_EVENTS_KEPT,
    PROCESSED_EVENTS,
    MongoProcessedEventLog,
    NotASingleWrite,
    single_write_delivery,
    write_once,
)
from shared.mongo import Database
from shared.settings import ServiceSettings
from shared.subscriptions import Delivery, Handler, Subscriptions
from shared.testing import own_database, wait_until


def followed(follower: str, followee: str = "b") -> EventEnvelope:
    data = UserFollowed(follower_id=follower, followee_id=followee, followed_at=datetime.now(UTC))
    return make_event(data, producer="test")


@pytest.fixture
async def db(mongo_url: str, namespace: str) -> AsyncIterator[Database]:
    async with own_database(mongo_url, namespace, "single-write") as db:
        yield db


def counting_followers(
    db: Database, applied: list[UUID], delivered: list[UUID] | None = None
) -> Handler[UserFollowed]:
    """A counter, the kind of write a redelivery would double: +1 per follow of a followee,
    upserted (the first follow creates the followee's document)."""

    async def count(delivery: Delivery[UserFollowed]) -> None:
        if await write_once(
            db.counters,
            delivery.event_id,
            {"_id": delivery.event.followee_id},
            {"$inc": {"followers": 1}},
            upsert=True,
        ):
            applied.append(delivery.event_id)
        if delivered is not None:
            delivered.append(delivery.event_id)

    return count


def single_write(handler: Handler[UserFollowed]) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.on(UserFollowed, handler, single_write=True)
    return subscriptions


async def followers(db: Database, followee: str = "b") -> int:
    document = await db.counters.find_one({"_id": followee})
    return 0 if document is None else int(document["followers"])


async def test_a_duplicated_event_is_applied_once_without_the_processed_event_log(
    bus: EventBus, db: Database
) -> None:
    applied: list[UUID] = []
    delivered: list[UUID] = []
    handler = counting_followers(db, applied, delivered)
    await bus.consume(single_write(handler), MongoProcessedEventLog(db))
    first, second = followed("a1"), followed("a2")
    await bus.publish([first, first, second, first])
    await wait_until(lambda: len(delivered) == 4)
    assert await followers(db) == 2
    assert sorted(applied) == sorted([first.id, second.id])
    assert await db[PROCESSED_EVENTS].count_documents({}) == 0


async def test_reordered_events_are_each_applied_once(bus: EventBus, db: Database) -> None:
    applied: list[UUID] = []
    delivered: list[UUID] = []
    await bus.consume(single_write(counting_followers(db, applied, delivered)))
    earlier, later = followed("a1"), followed("a2")
    await bus.publish([later])
    await wait_until(lambda: delivered)
    await bus.publish([earlier, later, earlier])
    await wait_until(lambda: len(delivered) == 4)
    assert await followers(db) == 2
    document = await db.counters.find_one({"_id": "b"})
    assert document is not None
    assert document[APPLIED_EVENTS] == [Binary.from_uuid(later.id), Binary.from_uuid(earlier.id)]


async def test_a_redelivery_after_the_write_but_before_the_ack_is_not_applied_again(
    bus: EventBus, db: Database, settings: ServiceSettings
) -> None:
    """The consumer dies between its write and its ack: the broker hands the event to the
    next consumer, whose write matches nothing."""
    written, release = asyncio.Event(), asyncio.Event()

    async def dies_before_the_ack(delivery: Delivery[UserFollowed]) -> None:
        await counting_followers(db, [])(delivery)
        written.set()
        await release.wait()

    await bus.consume(single_write(dies_before_the_ack))
    event = followed("a1")
    await bus.publish([event])
    await asyncio.wait_for(written.wait(), 10)
    assert await followers(db) == 1
    await bus.stop_consuming()
    await bus.close()

    handled: list[UUID] = []
    applied: list[UUID] = []
    count = counting_followers(db, applied)

    async def successor_handler(delivery: Delivery[UserFollowed]) -> None:
        await count(delivery)
        handled.append(delivery.event_id)

    successor = EventBus(settings)
    await successor.connect()
    try:
        await successor.consume(single_write(successor_handler))
        await wait_until(lambda: handled)
    finally:
        release.set()
        await successor.close()
    assert handled == [event.id]
    assert applied == []
    assert await followers(db) == 1


async def test_an_upsert_racing_another_event_on_a_new_document_applies_both(
    db: Database,
) -> None:
    """Two events create the same document at once: one insert loses to the other's and is
    made again as an update; a redelivery of either then changes nothing."""
    applied: list[UUID] = []
    count = counting_followers(db, applied)
    first, second = followed("a1", "new"), followed("a2", "new")

    async def deliver(envelope: EventEnvelope) -> None:
        assert isinstance(envelope.data, dict)
        data = UserFollowed.model_validate(envelope.data)
        with single_write_delivery():
            await count(Delivery(data, envelope.id))

    await asyncio.gather(*(deliver(first) for _ in range(3)), *(deliver(second) for _ in range(3)))
    assert sorted(applied) == sorted([first.id, second.id])
    assert await followers(db, "new") == 2


async def test_the_applied_ids_are_bounded_and_a_write_outside_a_single_write_handler_refused(
    db: Database,
) -> None:
    for _ in range(APPLIED_EVENTS_KEPT + 5):
        with single_write_delivery():
            await write_once(db.counters, uuid4(), {"_id": "busy"}, {"$inc": {"n": 1}}, upsert=True)
    document = await db.counters.find_one({"_id": "busy"})
    assert document is not None
    assert document["n"] == APPLIED_EVENTS_KEPT + 5
    assert len(document[APPLIED_EVENTS]) == APPLIED_EVENTS_KEPT

    with pytest.raises(NotASingleWrite):
        await write_once(db.counters, uuid4(), {"_id": "busy"}, {"$inc": {"n": 1}})
    with single_write_delivery():
        await write_once(db.counters, uuid4(), {"_id": "busy"}, {"$inc": {"n": 1}})
        with pytest.raises(NotASingleWrite):
            await write_once(db.counters, uuid4(), {"_id": "other"}, {"$inc": {"n": 1}})
    assert await db.counters.find_one({"_id": "other"}) is None


async def test_an_event_a_handler_of_several_documents_also_handles_keeps_the_log(
    bus: EventBus, db: Database
) -> None:
    applied: list[UUID] = []
    other_writes: list[UUID] = []

    async def spans_documents(delivery: Delivery[UserFollowed]) -> None:
        other_writes.append(delivery.event_id)

    subscriptions = single_write(counting_followers(db, applied))
    subscriptions.on(UserFollowed, spans_documents)
    assert subscriptions.needs_processed_log(parse_event_data(followed("a0")))
    await bus.consume(subscriptions, MongoProcessedEventLog(db))
    event, later = followed("a1"), followed("a2")
    await bus.publish([event])
    await wait_until(lambda: other_writes)
    await bus.publish([event, later])
    await wait_until(lambda: later.id in other_writes)
    assert other_writes == [event.id, later.id]
    assert await followers(db) == 2
    assert await db[PROCESSED_EVENTS].count_documents({}) == 2
