"""The bus against a real RabbitMQ: publishing, consuming, retries, dead letters, idempotency."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urlsplit
from uuid import UUID

import aio_pika
import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr
from pymongo.errors import AutoReconnect

from shared.bus import EventBus
from shared.dead_letters import count_dead_letters, list_dead_letters, redrive_dead_letters
from shared.events import EventEnvelope, make_event
from shared.events.users import UserFollowed
from shared.idempotency import MongoProcessedEventLog
from shared.mongo import Database, create_mongo_client
from shared.settings import ServiceSettings
from shared.subscriptions import Delivery, Handler, Subscriptions, UnsatisfiableOrder
from shared.testing import TcpProxy, broker_users, own_database, tcp_proxy_to, wait_until


def followed(n: int = 0) -> EventEnvelope:
    data = UserFollowed(follower_id=f"a{n}", followee_id="b", followed_at=datetime.now(UTC))
    return make_event(data, producer="test")


def on_followed_events(handler: Handler[UserFollowed]) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.on(UserFollowed, handler)
    return subscriptions


class SeenIds:
    """An in-memory processed-event log, enough to test the bus's use of one."""

    def __init__(self) -> None:
        self.ids: set[UUID] = set()

    async def seen(self, event_id: UUID) -> bool:
        return event_id in self.ids

    async def record(self, event_id: UUID, event_type: str) -> None:
        self.ids.add(event_id)


async def queue_depth(amqp_url: str, name: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, passive=True)
        return queue.declaration_result.message_count or 0


async def test_published_event_reaches_the_handler_of_its_type(bus: EventBus) -> None:
    received: list[UUID] = []

    async def on_followed(delivery: Delivery[UserFollowed]) -> None:
        received.append(delivery.event_id)
        assert delivery.event.followee_id == "b"

    await bus.consume(on_followed_events(on_followed))
    event = followed()
    assert await bus.publish([event]) == [event.id]
    await wait_until(lambda: received)
    assert received == [event.id]


async def test_handlers_declaring_an_order_that_cannot_be_met_are_refused_before_consuming(
    bus: EventBus,
) -> None:
    async def first(_: Delivery[UserFollowed]) -> None: ...

    async def second(_: Delivery[UserFollowed]) -> None: ...

    subscriptions = Subscriptions()
    subscriptions.on(UserFollowed, first, after=second)
    subscriptions.on(UserFollowed, second, after=first)

    with pytest.raises(UnsatisfiableOrder):
        await bus.consume(subscriptions)


async def test_failing_handler_is_retried_until_it_succeeds(bus: EventBus) -> None:
    attempts = 0

    async def flaky(delivery: Delivery[UserFollowed]) -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise RuntimeError("transient")

    await bus.consume(on_followed_events(flaky))
    await bus.publish([followed()])
    await wait_until(lambda: attempts >= 3)
    assert attempts == 3


async def test_handler_failing_every_retry_is_parked_in_the_dead_letter_queue(
    bus: EventBus, settings: ServiceSettings
) -> None:
    attempts = 0

    async def broken(delivery: Delivery[UserFollowed]) -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("permanent")

    await bus.consume(on_followed_events(broken))
    await bus.publish([followed()])

    async def parked() -> bool:
        return await count_dead_letters(settings) == 1

    await wait_until(parked)
    assert attempts == 3  # the first try and two retries


async def test_a_parked_event_is_listed_with_its_failures_and_left_parked(
    bus: EventBus, settings: ServiceSettings
) -> None:
    async def broken(delivery: Delivery[UserFollowed]) -> None:
        raise RuntimeError("permanent")

    await bus.consume(on_followed_events(broken))
    event = followed()
    await bus.publish([event])

    async def parked() -> bool:
        return await count_dead_letters(settings) == 1

    await wait_until(parked)
    [listed] = await list_dead_letters(settings)
    assert (listed.event_id, listed.event_type) == (str(event.id), event.type)
    assert (listed.first_queue, listed.first_reason) == (bus.queue_name, "rejected")
    # Rejected by the first try and each retry (two here), expired from each retry's wait.
    assert sum(n for death, n in listed.deaths.items() if death.startswith("rejected")) == 3
    assert sum(n for death, n in listed.deaths.items() if death.startswith("expired")) == 2
    assert listed.refused is None
    assert await count_dead_letters(settings) == 1


async def test_unknown_major_version_goes_to_the_dead_letter_queue_unhandled(
    bus: EventBus, settings: ServiceSettings
) -> None:
    handled = []

    async def on_followed(delivery: Delivery[UserFollowed]) -> None:
        handled.append(delivery.event)

    await bus.consume(on_followed_events(on_followed))
    future = followed().model_copy(update={"version": "2.0"})
    await bus.publish([future])

    async def parked() -> bool:
        return await count_dead_letters(settings) == 1

    await wait_until(parked)
    assert handled == []


async def test_unknown_fields_are_accepted(bus: EventBus) -> None:
    received: list[UserFollowed] = []

    async def on_followed(delivery: Delivery[UserFollowed]) -> None:
        received.append(delivery.event)

    await bus.consume(on_followed_events(on_followed))
    event = followed()
    newer = event.model_copy(update={"data": {**event.data, "added_later": 1}, "version": "1.7"})
    await bus.publish([newer])
    await wait_until(lambda: received)
    assert received[0].follower_id == "a0"


async def test_a_redelivered_event_is_handled_once(bus: EventBus) -> None:
    handled: list[UUID] = []

    async def on_followed(delivery: Delivery[UserFollowed]) -> None:
        handled.append(delivery.event_id)

    await bus.consume(on_followed_events(on_followed), SeenIds())
    event, other = followed(1), followed(2)
    await bus.publish([event])
    await wait_until(lambda: event.id in handled)
    await bus.publish([event, other])
    await wait_until(lambda: other.id in handled)
    assert handled == [event.id, other.id]


async def test_an_event_no_service_consumes_is_kept_not_dropped(
    bus: EventBus, amqp_url: str
) -> None:
    event = followed()
    assert await bus.publish([event]) == [event.id]

    async def kept() -> bool:
        return await queue_depth(amqp_url, bus.unrouted_name) == 1

    await wait_until(kept)


async def test_parked_events_can_be_redriven_once_the_handler_is_fixed(
    bus: EventBus, settings: ServiceSettings
) -> None:
    fixed = False
    handled: list[UUID] = []

    async def until_fixed(delivery: Delivery[UserFollowed]) -> None:
        if not fixed:
            raise RuntimeError("bug")
        handled.append(delivery.event_id)

    await bus.consume(on_followed_events(until_fixed))
    event = followed()
    await bus.publish([event])

    async def parked() -> bool:
        return await count_dead_letters(settings) == 1

    await wait_until(parked)
    fixed = True
    assert await redrive_dead_letters(settings) == 1
    await wait_until(lambda: handled == [event.id])
    assert await count_dead_letters(settings) == 0


async def test_a_forged_publisher_header_on_a_retry_counts_for_nothing(
    settings: ServiceSettings, amqp_url: str
) -> None:
    """A consumer's own broker user writes a `user.*` event into the consumer's retry queue,
    naming the users service in a header: only the `user_id` RabbitMQ validated counts."""
    own = broker_users().settings("timeline", amqp_url)
    bus = EventBus(settings.model_copy(update=own))
    await bus.connect()
    handled: list[UUID] = []

    async def on_followed(delivery: Delivery[UserFollowed]) -> None:
        handled.append(delivery.event_id)

    try:
        await bus.consume(on_followed_events(on_followed))
        forged = followed()
        connection = await aio_pika.connect(own["amqp_url"].get_secret_value())
        async with connection:
            channel = await connection.channel()
            await channel.default_exchange.publish(
                aio_pika.Message(
                    forged.model_dump_json().encode(),
                    user_id=bus.broker_user,
                    headers={"x-copost-publisher": broker_users().prefix + "users"},
                ),
                routing_key=bus.retry_queue_name(1),
            )

        async def parked() -> bool:
            return await count_dead_letters(settings) == 1

        await wait_until(parked)
        assert handled == []
    finally:
        await bus.delete_topology()
        await bus.close()


async def test_a_refused_event_redriven_is_refused_again(
    bus: EventBus, settings: ServiceSettings, amqp_url: str
) -> None:
    handled: list[UUID] = []

    async def on_followed(delivery: Delivery[UserFollowed]) -> None:
        handled.append(delivery.event_id)

    await bus.consume(on_followed_events(on_followed))
    impostor = EventBus(settings.model_copy(update=broker_users().settings("timeline", amqp_url)))
    await impostor.connect()
    try:
        await impostor.publish([followed()])
    finally:
        await impostor.close()

    async def parked() -> bool:
        return await count_dead_letters(settings) == 1

    await wait_until(parked)
    assert await redrive_dead_letters(settings) == 1
    await wait_until(parked)
    assert handled == []


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_published_events_are_counted_as_confirmed_or_failed(
    bus: EventBus, amqp_url: str
) -> None:
    labels = {"service": "bus-test", "event_type": "user.followed"}
    confirmed = sample("copost_events_published_total", **labels, outcome="confirmed")
    failed = sample("copost_events_published_total", **labels, outcome="failed")
    await bus.publish([followed(1)])
    assert sample("copost_events_published_total", **labels, outcome="confirmed") == confirmed + 1
    # Without its exchange the broker refuses the publish: nothing is confirmed.
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.exchange_delete(bus.exchange_name, if_unused=False)
    assert await bus.publish([followed(2)]) == []
    assert sample("copost_events_published_total", **labels, outcome="failed") == failed + 1


async def test_handling_time_retries_dead_letters_and_queue_depths_are_measured(
    bus: EventBus,
) -> None:
    async def broken(delivery: Delivery[UserFollowed]) -> None:
        raise RuntimeError("permanent")

    failed = {"service": "bus-test", "event_type": "user.followed", "outcome": "failed"}
    handled_before = sample("copost_event_handling_seconds_count", **failed)
    await bus.consume(on_followed_events(broken))
    await bus.publish([followed()])
    dead_lettered = {"queue": bus.queue_name, "reason": "retries_exhausted"}
    await wait_until(lambda: sample("copost_events_dead_lettered_total", **dead_lettered) == 1)
    assert sample("copost_events_retried_total", queue=bus.queue_name) == 2
    assert sample("copost_event_handling_seconds_count", **failed) == handled_before + 3
    await bus.measure_queues()
    assert sample("copost_queue_messages", queue=bus.dead_letter_queue_name) == 1
    assert sample("copost_queue_messages", queue=bus.queue_name) == 0


async def test_a_consumer_stopped_while_handling_leaves_the_message_to_the_broker(
    bus: EventBus, settings: ServiceSettings, amqp_url: str
) -> None:
    """As at a stop: the consumer stops taking messages and the connection closes while a
    handler still runs; the message it held goes back to the queue, handled by the next one."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def stuck(_: Delivery[UserFollowed]) -> None:
        entered.set()
        await release.wait()

    await bus.consume(on_followed_events(stuck))
    event = followed()
    assert await bus.publish([event]) == [event.id]
    await asyncio.wait_for(entered.wait(), 10)

    await bus.stop_consuming()
    await bus.close()
    assert await wait_until(lambda: queue_depth(amqp_url, bus.queue_name)) == 1

    received: list[UUID] = []

    async def handled(delivery: Delivery[UserFollowed]) -> None:
        received.append(delivery.event_id)

    successor = EventBus(settings)
    await successor.connect()
    try:
        await successor.consume(on_followed_events(handled))
        await wait_until(lambda: received)
    finally:
        release.set()
        await successor.close()
    assert received == [event.id]


@pytest.fixture
async def mongo_proxy(mongo_url: str) -> AsyncIterator[TcpProxy]:
    async with tcp_proxy_to(mongo_url, default_port=27017) as proxy:
        yield proxy


@pytest.fixture
async def db(mongo_url: str, namespace: str) -> AsyncIterator[Database]:
    async with own_database(mongo_url, namespace, "outage") as db:
        yield db


@pytest.fixture
async def db_through_proxy(
    db: Database, mongo_url: str, mongo_proxy: TcpProxy
) -> AsyncIterator[Database]:
    """The test's database through a proxy it can cut, with a client that gives up quickly."""
    url = f"mongodb://127.0.0.1:{mongo_proxy.port}/?{urlsplit(mongo_url).query}"
    quick = ServiceSettings(
        mongo_url=SecretStr(url),
        mongo_connect_timeout_seconds=0.3,
        mongo_server_selection_timeout_seconds=0.3,
        mongo_socket_timeout_seconds=0.3,
    )
    client = create_mongo_client(quick)
    try:
        yield client[db.name]
    finally:
        await client.close()


async def test_an_event_waits_out_a_database_outage_longer_than_its_retries_and_is_handled_once(
    bus: EventBus,
    settings: ServiceSettings,
    mongo_proxy: TcpProxy,
    db: Database,
    db_through_proxy: Database,
) -> None:
    async def count(delivery: Delivery[UserFollowed]) -> None:
        await db_through_proxy.handled.update_one(
            {"_id": str(delivery.event_id)}, {"$inc": {"times": 1}}, upsert=True
        )

    await mongo_proxy.cut()
    await bus.consume(on_followed_events(count), MongoProcessedEventLog(db_through_proxy))
    event = followed()
    await bus.publish([event])
    # More failed tries than the first try and its retries: each would have spent one.
    tries_allowed = 1 + len(settings.event_retry_delays_seconds)
    held = partial(sample, "copost_events_held_for_database_total", queue=bus.queue_name)
    await wait_until(lambda: held() > tries_allowed, timeout=30)

    await mongo_proxy.restore()
    handled = await wait_until(lambda: db.handled.find_one({"_id": str(event.id)}), timeout=30)
    assert handled["times"] == 1
    assert await MongoProcessedEventLog(db).seen(event.id)
    assert await count_dead_letters(settings) == 0
    assert sample("copost_events_retried_total", queue=bus.queue_name) == 0


async def test_a_database_error_outlasting_the_wait_spends_the_retries_and_is_parked(
    settings: ServiceSettings,
) -> None:
    """A handler whose database error never ends is a bad message after all."""
    settings = settings.model_copy(update={"event_database_outage_seconds": 0.0})
    attempts = 0

    async def unreachable(_: Delivery[UserFollowed]) -> None:
        nonlocal attempts
        attempts += 1
        raise AutoReconnect("connection refused")

    bus = EventBus(settings)
    await bus.connect()
    try:
        await bus.consume(on_followed_events(unreachable))
        await bus.publish([followed()])
        await wait_until(lambda: count_dead_letters(settings))
    finally:
        await bus.delete_topology()
        await bus.close()
    assert attempts == 3  # the first try and two retries
