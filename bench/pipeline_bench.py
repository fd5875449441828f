"""Event pipeline benchmark: outbox write to consumer effect, next to raw aio-pika.

Both sides use the broker's settings of the services: a quorum queue, persistent messages,
publisher confirms, pipelined publishes, a consumer with prefetch AMQP_PREFETCH (32) that
acks each message. In the same run:

- raw: aio-pika publishes N messages (in pipelined windows of the outbox relay's batch
  size) and a consumer acks them; events/s from the first publish to the last ack.
- CoPost, twice: N single-document writes, each carrying one event in its outbox
  (`shared.outbox.with_events`), relayed by `OutboxRelay` through `EventBus`, consumed by
  `EventBus.consume`, the handler writing one document (the effect): once a plain handler
  inside the processed-event log (`seen`, effect, `record`), once a single-write handler
  whose effect keeps the event's id in its document (`shared.idempotency.write_once`);
  events/s from the first write to the last effect, and the database commands per event.

Writes bench/results/pipeline.md.

    .venv/bin/python bench/pipeline_bench.py [--events 1000]
"""

import argparse
import asyncio
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from benchlib import cpu_seconds, embedded_engine, machine, write_results
from pydantic import SecretStr
from pymongo import AsyncMongoClient, monitoring

from shared.broker_users import create_users, delete_users
from shared.bus import EventBus
from shared.embedded_mongo import embedded_mongo
from shared.events import make_event
from shared.events.users import UserRegistered
from shared.idempotency import PROCESSED_EVENT_INDEXES, MongoProcessedEventLog, write_once
from shared.mongo import Database, Document, ensure_indexes
from shared.outbox import OutboxRelay, outbox_indexes, with_events
from shared.settings import ServiceSettings
from shared.subscriptions import Delivery, Subscriptions

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
RELAY_BATCH = 100
# Concurrent writers on the CoPost side, as concurrent requests would be.
WRITERS = 32
TARGET_RATIO = 0.5


async def raw_rate(namespace: str, events: int, prefetch: int) -> tuple[float, float]:
    """Events/s, and this process's CPU per event (ms)."""
    connection = await aio_pika.connect_robust(AMQP_URL)
    try:
        publish_channel = await connection.channel(publisher_confirms=True)
        consume_channel = await connection.channel()
        await consume_channel.set_qos(prefetch_count=prefetch)
        queue = await consume_channel.declare_queue(
            f"{namespace}raw", durable=True, arguments={"x-queue-type": "quorum"}
        )
        consumed = 0
        done = asyncio.Event()

        async def on_message(message: AbstractIncomingMessage) -> None:
            nonlocal consumed
            await message.ack()
            consumed += 1
            if consumed == events:
                done.set()

        await queue.consume(on_message)
        body = make_event(registered("raw"), producer="bench").model_dump_json().encode()
        started, cpu = time.perf_counter(), time.process_time()
        for first in range(0, events, RELAY_BATCH):
            await asyncio.gather(
                *(
                    publish_channel.default_exchange.publish(
                        aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        routing_key=queue.name,
                        mandatory=True,
                    )
                    for _ in range(min(RELAY_BATCH, events - first))
                )
            )
        await asyncio.wait_for(done.wait(), timeout=600)
        elapsed = time.perf_counter() - started
        client_ms = (time.process_time() - cpu) * 1000 / events
        await consume_channel.queue_delete(queue.name, if_unused=False, if_empty=False)
        return events / elapsed, client_ms
    finally:
        await connection.close()


def registered(handle: str) -> UserRegistered:
    return UserRegistered(
        user_id=handle, handle=handle, display_name=handle, created_at=datetime.now(UTC)
    )


@dataclass(frozen=True, slots=True)
class CopostRun:
    rate: float
    # The database commands of the whole pipeline (writers, relay, consumer) per event, by name.
    commands: dict[str, float]
    # The embedded server's CPU per event (ms), when it runs as a process of its own.
    server_ms: float | None
    # This process's CPU per event (ms): writers, relay and consumer (PyMongo, aio-pika).
    client_ms: float


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.counts[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...

    def failed(self, event: monitoring.CommandFailedEvent) -> None: ...


async def copost_rate(
    namespace: str, mongo_url: str, events: int, server_pid: int | None, *, single_write: bool
) -> CopostRun:
    """The CoPost pipeline, its effect made by a single-write handler (`write_once`) or, as
    before those, by a plain handler inside the processed-event log."""
    # Consumers accept a user.* event only from the users service's broker user: the
    # benchmark publishes as one, made for this run.
    prefix = f"copost-{namespace.rstrip('.')}-"
    urls = create_users(AMQP_URL, ["users"], prefix=prefix, namespace=None)
    settings = ServiceSettings(
        service_name="bench-pipeline",
        mongo_url=SecretStr(mongo_url),
        amqp_url=SecretStr(urls["users"]),
        amqp_user_prefix=prefix,
        amqp_namespace=namespace,
    )
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        mongo_url, tz_aware=True, event_listeners=[counter]
    )
    db: Database = client[f"{namespace.rstrip('.')}-pipeline"]
    await ensure_indexes(db, [*PROCESSED_EVENT_INDEXES, *outbox_indexes("accounts")])
    bus = EventBus(settings)
    await bus.connect()
    relay = OutboxRelay(
        db, ["accounts"], bus, service_name="bench-pipeline", batch_size=RELAY_BATCH
    )
    effects = 0
    done = asyncio.Event()

    async def counted() -> None:
        nonlocal effects
        effects += 1
        if effects == events:
            done.set()

    async def once(delivery: Delivery[UserRegistered]) -> None:
        await write_once(
            db.effects,
            delivery.event_id,
            {"_id": delivery.event.user_id},
            {"$set": {"handle": delivery.event.handle}},
            upsert=True,
        )
        await counted()

    async def logged(delivery: Delivery[UserRegistered]) -> None:
        await db.effects.insert_one(
            {"_id": str(delivery.event_id), "handle": delivery.event.handle}
        )
        await counted()

    try:
        subscriptions = Subscriptions()
        if single_write:
            subscriptions.on(UserRegistered, once, single_write=True)
        else:
            subscriptions.on(UserRegistered, logged)
        await bus.consume(subscriptions, MongoProcessedEventLog(db))
        relay.start()
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(events):
            queue.put_nowait(n)

        async def writer() -> None:
            while not queue.empty():
                handle = f"user{queue.get_nowait()}"
                event = make_event(registered(handle), producer="bench")
                await db.accounts.update_one(
                    {"_id": handle}, with_events({"$set": {"handle": handle}}, [event]), upsert=True
                )
                relay.wake()

        server_cpu = cpu_seconds(server_pid) if server_pid else 0.0
        client_cpu = time.process_time()
        counter.counts.clear()
        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(WRITERS)))
        await asyncio.wait_for(done.wait(), timeout=600)
        rate = events / (time.perf_counter() - started)
        commands = {name: count / events for name, count in counter.counts.most_common()}
        server_ms = (cpu_seconds(server_pid) - server_cpu) * 1000 / events if server_pid else None
        client_ms = (time.process_time() - client_cpu) * 1000 / events
        return CopostRun(rate, commands, server_ms, client_ms)
    finally:
        await relay.stop()
        await bus.stop_consuming()
        await bus.delete_topology()
        await bus.close()
        await client.drop_database(db.name)
        await client.close()
        delete_users(["users"], prefix=prefix)


def _commands(run: CopostRun) -> str:
    total = sum(run.commands.values())
    kinds = ", ".join(f"{name} {count:.2f}" for name, count in run.commands.items())
    return f"{total:.2f} ({kinds})"


def _server(run: CopostRun) -> str:
    return "—" if run.server_ms is None else f"{run.server_ms:.2f}"


def report(events: int, raw: float, raw_ms: float, logged: CopostRun, once: CopostRun) -> str:
    ratio = once.rate / raw
    verdict = "met" if ratio >= TARGET_RATIO else "**not met**"
    bound = (
        f" The embedded server spent {once.server_ms:.2f} ms of CPU per event with the "
        f"single-write handler, which bounds it to about {1000 / once.server_ms:.0f} events/s "
        "on one core: the pipeline runs at the embedded server's pace, not the broker's."
        if once.server_ms
        else ""
    )
    return "\n".join(
        [
            "# Event pipeline: events per second",
            "",
            f"Produced by `bench/pipeline_bench.py` on {machine()}, RabbitMQ at the local "
            f"broker, embedded MongoDB `{embedded_engine()}` (its own process). {events} "
            "events each way, in the same run. All use a quorum queue, persistent messages, "
            f"publisher confirms, publishes pipelined {RELAY_BATCH} at a time and a consumer "
            "with prefetch 32 acking each message. CoPost: an outbox write per event "
            f"({WRITERS} concurrent writers) → relay → consumer → the effect written.",
            "",
            "| pipeline | events/s | database commands per event | CPU per event, ms: "
            "embedded server / this process |",
            "|---|---|---|---|",
            f"| raw aio-pika: publish → consume → ack | {raw:.0f} | 0 | — / {raw_ms:.2f} |",
            f"| CoPost, a plain handler inside the processed-event log | {logged.rate:.0f} | "
            f"{_commands(logged)} | {_server(logged)} / {logged.client_ms:.2f} |",
            f"| CoPost, a single-write handler (the id kept in the effect's document) | "
            f"{once.rate:.0f} | {_commands(once)} | {_server(once)} / {once.client_ms:.2f} |",
            "",
            f"CoPost (single-write) ÷ raw: **{ratio:.0%}** (target ≥ {TARGET_RATIO:.0%}: "
            f"{verdict}).",
            "",
            "Per event, the single-write pipeline makes two writes (the one carrying the event, "
            "the effect, which also keeps the event's id) and the relay's removal of the "
            "relayed entry, a write to the same document (an update in its batched "
            "`bulkWrite`), plus a share of the relay's read per batch; the processed-event "
            "check and record (`find`, `insert`) are gone." + bound,
            "",
        ]
    )


async def run(events: int) -> str:
    namespace = f"bench-{uuid.uuid4().hex[:8]}."
    server = embedded_mongo()
    mongo_url = server.start()
    pid = getattr(server, "pid", None)
    try:
        raw, raw_ms = await raw_rate(namespace, events, ServiceSettings().amqp_prefetch)
        print(f"raw aio-pika: {raw:.0f} events/s", flush=True)
        logged = await copost_rate(namespace, mongo_url, events, pid, single_write=False)
        print(f"CoPost, processed-event log: {logged.rate:.0f} events/s", flush=True)
        once = await copost_rate(namespace, mongo_url, events, pid, single_write=True)
        print(f"CoPost, single-write: {once.rate:.0f} events/s", flush=True)
    finally:
        server.stop()
    return report(events, raw, raw_ms, logged, once)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    text = asyncio.run(run(args.events))
    print(text)
    print(f"written to {write_results('pipeline.md', text)}")


if __name__ == "__main__":
    main()
