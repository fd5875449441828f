"""The outbox against the embedded MongoDB and a real RabbitMQ, including a broker outage."""

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import pytest
from prometheus_client import REGISTRY

from shared.bus import EventBus
from shared.events import EventEnvelope, make_event
from shared.events.users import UserRegistered
from shared.logging import correlation_id_var
from shared.mongo import Database, ensure_indexes
from shared.outbox import (
    OUTBOX_DEAD_LETTERS,
    OUTBOX_FIELD,
    PENDING_FIELD,
    Outbox,
    OutboxRelay,
    mark_pending,
    outbox_entry,
    outbox_indexes,
    with_events,
)
from shared.settings import ServiceSettings
from shared.testing import EventRecorder, TcpProxy, own_database, tcp_proxy_to, wait_until

# The relay's sweep: what it reads to find events not yet published.
SWEEP = {PENDING_FIELD: True}


def registered(handle: str) -> EventEnvelope:
    data = UserRegistered(
        user_id=handle, handle=handle, display_name=handle, created_at=datetime.now(UTC)
    )
    return make_event(data, producer="test")


@pytest.fixture
async def db(mongo_url: str, namespace: str) -> AsyncIterator[Database]:
    async with own_database(mongo_url, namespace, "outbox") as db:
        yield db


def _through(proxy_port: int, amqp_url: str) -> str:
    parts = urlsplit(amqp_url)
    netloc = f"{parts.username}:{parts.password}@127.0.0.1:{proxy_port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@pytest.fixture
async def proxy(amqp_url: str) -> AsyncIterator[TcpProxy]:
    async with tcp_proxy_to(amqp_url, default_port=5672) as proxy:
        yield proxy


@pytest.fixture
async def bus(amqp_url: str, namespace: str, proxy: TcpProxy) -> AsyncIterator[EventBus]:
    settings = ServiceSettings(
        service_name="outbox-test",
        amqp_url=_through(proxy.port, amqp_url),
        amqp_namespace=namespace,
    )
    bus = EventBus(settings)
    await bus.connect()
    yield bus
    await bus.close()


async def write_account(db: Database, handle: str) -> EventEnvelope:
    event = registered(handle)
    await db.accounts.update_one(
        {"_id": handle}, with_events({"$set": {"handle": handle}}, [event]), upsert=True
    )
    return event


def relay_for(db: Database, bus: EventBus) -> OutboxRelay:
    return OutboxRelay(db, ["accounts"], bus, service_name="outbox-test", sweep_seconds=0.2)


async def test_the_change_and_its_events_are_one_document(db: Database) -> None:
    event = await write_account(db, "ada")
    document = await db.accounts.find_one({"_id": "ada"})
    assert document is not None
    assert document["handle"] == "ada"
    assert [entry["id"] for entry in document[OUTBOX_FIELD]] == [str(event.id)]


async def test_the_relay_publishes_pending_events_and_empties_the_outbox(
    db: Database, bus: EventBus, event_recorder: EventRecorder
) -> None:
    events = [await write_account(db, handle) for handle in ("ada", "bob")]
    relay = relay_for(db, bus)
    relay.start()
    relay.wake()
    try:
        seen = await event_recorder.wait_for("user.registered", count=2)
        assert {event.id for event in seen} == {event.id for event in events}
        await wait_until(lambda: _no_pending(relay))
    finally:
        await relay.stop()


async def test_events_written_during_a_broker_outage_are_published_after_it(
    db: Database, bus: EventBus, proxy: TcpProxy, event_recorder: EventRecorder
) -> None:
    relay = relay_for(db, bus)
    relay.start()
    try:
        await proxy.cut()
        await wait_until(lambda: not bus.is_connected)
        event = await write_account(db, "cyd")
        relay.wake()
        assert await relay.pending_count() == 1
        await proxy.restore()
        seen = await event_recorder.wait_for("user.registered", timeout=30)
        assert [e.id for e in seen] == [event.id]
        await wait_until(lambda: _no_pending(relay))
    finally:
        await relay.stop()


async def test_an_unreadable_entry_is_parked_and_the_events_beside_it_are_published(
    db: Database, bus: EventBus, event_recorder: EventRecorder
) -> None:
    unreadable = {"id": "not-an-event", "type": "user.registered", "data": "garbage"}
    await db.accounts.insert_one({"_id": "zed", OUTBOX_FIELD: [unreadable]})
    event = await write_account(db, "zed")
    relay = relay_for(db, bus)
    parked_before = parked_count()

    await relay.relay_pending()
    # The next pass has nothing left to stumble over.
    assert await relay.relay_pending() == 0

    seen = await event_recorder.wait_for("user.registered")
    assert [e.id for e in seen] == [event.id]
    parked = await db[OUTBOX_DEAD_LETTERS].find({}).to_list(None)
    assert [(p["collection"], p["document_id"], p["entry"]) for p in parked] == [
        ("accounts", "zed", unreadable)
    ]
    assert parked_count() == parked_before + 1
    assert await relay.pending_count() == 0


def parked_count() -> float:
    labels = {"service": "outbox-test"}
    return REGISTRY.get_sample_value("copost_outbox_entries_parked_total", labels) or 0.0


async def _no_pending(relay: OutboxRelay) -> bool:
    return await relay.pending_count() == 0


async def test_the_backlog_and_the_age_of_its_oldest_event_are_measured(
    db: Database, bus: EventBus
) -> None:
    old = registered("old").model_copy(
        update={"occurred_at": datetime.now(UTC) - timedelta(minutes=5)}
    )
    await db.accounts.update_one({"_id": "old"}, with_events({"$set": {}}, [old]), upsert=True)
    await write_account(db, "new")
    relay = relay_for(db, bus)
    await relay.measure_backlog()
    labels = {"service": "outbox-test"}
    assert REGISTRY.get_sample_value("copost_outbox_backlog_events", labels) == 2
    age = REGISTRY.get_sample_value("copost_outbox_oldest_event_age_seconds", labels)
    assert age is not None
    assert 300 <= age < 360
    await relay.relay_pending()
    await relay.measure_backlog()
    assert REGISTRY.get_sample_value("copost_outbox_backlog_events", labels) == 0
    assert REGISTRY.get_sample_value("copost_outbox_oldest_event_age_seconds", labels) == 0


async def test_publishing_through_the_outbox_sends_the_events_as_soon_as_the_write_ends(
    db: Database, bus: EventBus, event_recorder: EventRecorder
) -> None:
    # The relay would sweep only in an hour: the event goes out because the block woke it.
    relay = OutboxRelay(db, ["accounts"], bus, service_name="outbox-test", sweep_seconds=3600)
    outbox = Outbox(relay, producer="users")
    relay.start()
    token = correlation_id_var.set("request-7")
    try:
        data = UserRegistered(
            user_id="ada", handle="ada", display_name="Ada", created_at=datetime.now(UTC)
        )
        with outbox.publishing(data) as events:
            await db.accounts.update_one(
                {"_id": "ada"}, with_events({"$set": {"handle": "ada"}}, events), upsert=True
            )
        [seen] = await event_recorder.wait_for("user.registered")
    finally:
        correlation_id_var.reset(token)
        await relay.stop()
    assert seen.id == events[0].id
    assert (seen.producer, seen.correlation_id) == ("users", "request-7")


async def test_a_document_leaves_the_sweep_once_its_events_are_published(
    db: Database, bus: EventBus
) -> None:
    await ensure_indexes(db, outbox_indexes("accounts"))
    await write_account(db, "ada")
    assert [d["_id"] async for d in db.accounts.find(SWEEP)] == ["ada"]
    assert reads_an_index(await db.accounts.find(SWEEP).explain())

    await relay_for(db, bus).relay_pending()

    document = await db.accounts.find_one({"_id": "ada"})
    assert document is not None
    assert (document[OUTBOX_FIELD], PENDING_FIELD in document) == ([], False)
    assert await db.accounts.find_one(SWEEP) is None


async def test_an_event_written_after_the_sweep_read_the_document_keeps_it_in_the_sweep(
    db: Database, bus: EventBus, event_recorder: EventRecorder
) -> None:
    """The relay reads the document, another write pushes an event, then the first is pulled:
    the mark stays for the second."""
    first = await write_account(db, "ada")
    second = registered("ada-again")

    class WriteWhilePublishing:
        async def publish(self, envelopes: Any, trace_contexts: Any = None) -> list[UUID]:
            await db.accounts.update_one({"_id": "ada"}, with_events({"$set": {}}, [second]))
            return await bus.publish(envelopes, trace_contexts)

    relay = OutboxRelay(db, ["accounts"], WriteWhilePublishing(), service_name="outbox-test")
    await relay.relay_pending()
    assert await db.accounts.find_one(SWEEP, {"_id": 1}) == {"_id": "ada"}
    await relay_for(db, bus).relay_pending()
    seen = await event_recorder.wait_for("user.registered", count=2)
    assert [e.id for e in seen] == [first.id, second.id]
    assert await db.accounts.find_one(SWEEP) is None


async def test_entries_written_before_the_mark_are_marked_at_start_and_published(
    db: Database, bus: EventBus, event_recorder: EventRecorder
) -> None:
    event = registered("old")
    await db.accounts.insert_one({"_id": "old", OUTBOX_FIELD: [outbox_entry(event)]})
    await db.accounts.insert_one({"_id": "done", OUTBOX_FIELD: []})

    await mark_pending(db, ["accounts"])

    assert [d["_id"] async for d in db.accounts.find(SWEEP)] == ["old"]
    await relay_for(db, bus).relay_pending()
    [seen] = await event_recorder.wait_for("user.registered")
    assert seen.id == event.id
    assert await db.accounts.find_one(SWEEP) is None


def reads_an_index(plan: Mapping[str, Any]) -> bool:
    """Whether a find's plan reads an index rather than the collection: MongoDB's and
    SecantusDB's plans say IXSCAN; mongoeco's names the SQLite table of its scalar indexes."""
    steps = plan.get("details", {}).get("engine_details", [])
    return "IXSCAN" in str(plan.get("queryPlanner")) or any(
        "scalar_index_entries" in step and "INDEX" in step for step in steps
    )
