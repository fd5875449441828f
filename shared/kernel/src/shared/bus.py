"""The RabbitMQ event bus: topology, confirmed publishing, and consuming with retries and a DLQ.

Topology (names get the settings' namespace prefix):
- `copost.events`, durable topic exchange, routing key = event type; whatever no queue takes
  goes to its alternate exchange `copost.unrouted` and is kept in the queue of that name;
- per service: quorum queue `<service>` bound to the types it handles. A message whose
  handling fails is rejected, and RabbitMQ itself moves it on through `copost.dead-letter`
  (each queue dead-letters with its own name as routing key): to the wait queue
  `<service>.retry.<n>`, whose TTL moves it to `<service>.retried.<n>` (consumed like
  `<service>`), and after the last retry to `<service>.dead-letter`, whose own dead-lettering
  leads back to `<service>` (the redrive tool rejects parked messages to send them back).

Authenticity: every message carries the AMQP `user_id` of the broker user that published it,
which RabbitMQ checks against the connection's user. A consumer accepts an event only from
the broker user of the service producing its type (`<AMQP_USER_PREFIX><service>`); anything
else is parked unhandled. Retries and redrives are never republished: the broker moves the
very message it validated, so its `user_id` is the only identity there is, and no header a
service can write is believed. A service parks a refused message by publishing a copy as
itself, marked refused (`x-copost-refused`), which it refuses whoever sends it.

A handler failing because MongoDB does not answer is no sign of a bad message: the event is
held (unacknowledged) and tried again until the database answers, for up to
`event_database_outage_seconds`, before that counts as a failed attempt; so a database restart
parks nothing, while a handler's bug still reaches the dead-letter queue after the retries.
"""

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit
from uuid import UUID

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aiormq.abc import FieldTable
from prometheus_client import Counter, Gauge, Histogram
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure

from shared.events import (
    EventData,
    EventEnvelope,
    decode_envelope,
    parse_event_data,
    producing_service,
)
from shared.events.envelope import UnknownEventVersion
from shared.logging import correlation_id_var
from shared.settings import ServiceSettings
from shared.subscriptions import Subscriptions
from shared.tracing import SERVICE_ATTRIBUTE, continued, exemplar, traced

log = logging.getLogger(__name__)

# On the copy of a refused message a service parks: why it was refused. The copy is published
# as the parking service, so this marker makes the consumer refuse it again, even redriven.
REFUSED_HEADER = "x-copost-refused"
# On that copy, for the operator only (never believed): the user id of the refused original.
REFUSED_PUBLISHER_HEADER = "x-copost-refused-publisher"
# A publish during an outage waits for the reconnection; past this it fails and is retried.
PUBLISH_TIMEOUT_SECONDS = 10.0
# While MongoDB does not answer, a held event is tried again after this, doubling up to the cap.
DATABASE_WAIT_FIRST_SECONDS = 0.5
DATABASE_WAIT_MAX_SECONDS = 5.0
# At-least-once dead-lettering needs reject-publish overflow (RabbitMQ >= 3.10).
_QUORUM: FieldTable = {
    "x-queue-type": "quorum",
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
}

EVENTS_PUBLISHED = Counter(
    "copost_events_published_total",
    "Events published, by whether the broker confirmed them",
    ["service", "event_type", "outcome"],
)
EVENT_HANDLING = Histogram(
    "copost_event_handling_seconds",
    "Time to handle one delivered event, by outcome (handled, failed)",
    ["service", "event_type", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
EVENTS_RETRIED = Counter(
    "copost_events_retried_total", "Failed events sent to a retry queue", ["queue"]
)
EVENTS_HELD_FOR_DATABASE = Counter(
    "copost_events_held_for_database_total",
    "Handling attempts that found MongoDB unreachable and held the event to try it again",
    ["queue"],
)
EVENTS_DEAD_LETTERED = Counter(
    "copost_events_dead_lettered_total",
    "Events parked in the dead-letter queue, by reason",
    ["queue", "reason"],
)
QUEUE_MESSAGES = Gauge(
    "copost_queue_messages",
    "Messages waiting in a queue of this service (its queue, retry queues, dead-letter queue)",
    ["queue"],
)


class _StoppedWaiting(Exception):
    """The consumer stopped while an event waited for the database."""


class ProcessedEventLog(Protocol):
    """Which event ids a service has handled; the bus skips an event it finds here."""

    async def seen(self, event_id: UUID) -> bool: ...

    async def record(self, event_id: UUID, event_type: str) -> None: ...


class EventBus:
    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self.broker_user = broker_user_of(settings.amqp_url.get_secret_value())
        ns = settings.amqp_namespace
        self.exchange_name = f"{ns}copost.events"
        self.unrouted_name = f"{ns}copost.unrouted"
        self.dead_letter_exchange_name = f"{ns}copost.dead-letter"
        self.queue_name = f"{ns}{settings.service_name}"
        self.dead_letter_queue_name = f"{self.queue_name}.dead-letter"
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._dead_letter_exchange: AbstractExchange | None = None
        self._consumer_tags: list[tuple[AbstractQueue, str]] = []
        self._queue: AbstractQueue | None = None
        self._subscriptions = Subscriptions()
        self._processed: ProcessedEventLog | None = None
        self._metrics_channel: AbstractChannel | None = None
        self._stopping = asyncio.Event()

    @property
    def is_connected(self) -> bool:
        connection = self._connection
        return connection is not None and connection.connected.is_set()

    def retry_queue_name(self, attempt: int) -> str:
        """Where a message waits (the attempt's delay) before its `attempt`-th retry."""
        return f"{self.queue_name}.retry.{attempt}"

    def retried_queue_name(self, attempt: int) -> str:
        """Where a message is consumed from for its `attempt`-th retry."""
        return f"{self.queue_name}.retried.{attempt}"

    @property
    def consumed_queue_names(self) -> list[str]:
        """The queues the consumer takes messages from, first deliveries first."""
        retries = len(self._settings.event_retry_delays_seconds)
        return [self.queue_name] + [self.retried_queue_name(n) for n in range(1, retries + 1)]

    @property
    def queue_names(self) -> list[str]:
        """Every queue of this service."""
        retries = range(1, len(self._settings.event_retry_delays_seconds) + 1)
        waiting = [self.retry_queue_name(n) for n in retries]
        return [*self.consumed_queue_names, *waiting, self.dead_letter_queue_name]

    @property
    def refused_routing_key(self) -> str:
        """The dead-letter exchange's key to this service's dead-letter queue for refused copies."""
        return f"{self.queue_name}.refused"

    async def connect(self) -> None:
        self._connection = await aio_pika.connect_robust(
            self._settings.amqp_url.get_secret_value(),
            client_properties={"connection_name": self._settings.service_name},
            reconnect_interval=1.0,
        )
        self._publish_channel = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        self._exchange = await self._declare_exchanges(self._publish_channel)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _declare_exchanges(self, channel: AbstractChannel) -> AbstractExchange:
        unrouted = await channel.declare_exchange(
            self.unrouted_name, aio_pika.ExchangeType.FANOUT, durable=True
        )
        unrouted_queue = await channel.declare_queue(
            self.unrouted_name, durable=True, arguments=_QUORUM
        )
        await unrouted_queue.bind(unrouted)
        self._dead_letter_exchange = await channel.declare_exchange(
            self.dead_letter_exchange_name, aio_pika.ExchangeType.DIRECT, durable=True
        )
        return await channel.declare_exchange(
            self.exchange_name,
            aio_pika.ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": self.unrouted_name},
        )

    def _channel(self) -> AbstractChannel:
        if self._publish_channel is None:
            raise RuntimeError("the bus is not connected")
        return self._publish_channel

    # -- publishing -------------------------------------------------------------------

    async def publish(
        self,
        envelopes: Sequence[EventEnvelope],
        trace_contexts: Mapping[UUID, Mapping[str, str]] | None = None,
    ) -> list[UUID]:
        """Publish pipelined; returns the ids the broker confirmed, in the given order.

        `trace_contexts`: by event id, the trace each event continues (the outbox keeps them).
        """
        if self._exchange is None:
            raise RuntimeError("the bus is not connected")
        exchange = self._exchange
        traces = trace_contexts or {}
        results = await asyncio.gather(
            *(
                self._publish_one(exchange, envelope, traces.get(envelope.id))
                for envelope in envelopes
            ),
            return_exceptions=True,
        )
        confirmed = []
        for envelope, result in zip(envelopes, results, strict=True):
            if isinstance(result, BaseException):
                log.warning(
                    "event not confirmed",
                    extra={"event_id": str(envelope.id), "error": repr(result)},
                )
            else:
                confirmed.append(envelope.id)
            outcome = "failed" if isinstance(result, BaseException) else "confirmed"
            EVENTS_PUBLISHED.labels(self._settings.service_name, envelope.type, outcome).inc()
        return confirmed

    async def _publish_one(
        self, exchange: AbstractExchange, envelope: EventEnvelope, trace: Mapping[str, str] | None
    ) -> Any:
        """One event, published in the trace of the write that produced it (when tracing)."""
        with (
            continued(trace),
            traced(
                f"outbox relay {envelope.type}", {SERVICE_ATTRIBUTE: self._settings.service_name}
            ),
        ):
            return await exchange.publish(
                _message(envelope, self.broker_user),
                routing_key=envelope.type,
                mandatory=True,
                timeout=PUBLISH_TIMEOUT_SECONDS,
            )

    # -- consuming --------------------------------------------------------------------

    async def consume(
        self,
        subscriptions: Subscriptions,
        processed: ProcessedEventLog | None = None,
    ) -> None:
        """Declare this service's queues, bind the handled event types and start consuming.

        Subscriptions whose handlers declare an order that cannot be met are refused first."""
        if self._connection is None:
            raise RuntimeError("the bus is not connected")
        subscriptions.check()
        self._stopping.clear()
        self._subscriptions = subscriptions
        self._processed = processed
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self._settings.amqp_prefetch)
        consumed = await self._declare_service_queues(channel)
        self._queue = consumed[0]
        last = len(consumed) - 1
        for attempt, queue in enumerate(consumed):
            tag = await queue.consume(partial(self._on_message, is_last_attempt=attempt == last))
            self._consumer_tags.append((queue, tag))

    async def _declare_service_queues(self, channel: AbstractChannel) -> list[AbstractQueue]:
        """The chain `<service>` -> retry.1 -> retried.1 -> ... -> dead-letter -> `<service>`,
        every hop made by RabbitMQ's dead-lettering; the consumed queues, first one first."""
        dead_letter_exchange = await channel.get_exchange(self.dead_letter_exchange_name)

        async def declare(name: str, fed_by: str, **arguments: Any) -> AbstractQueue:
            # Each queue dead-letters with its own name as key; the queue after it in the chain
            # is bound to that key (`fed_by`).
            queue = await channel.declare_queue(
                name,
                durable=True,
                arguments={
                    **_QUORUM,
                    **arguments,
                    "x-dead-letter-exchange": self.dead_letter_exchange_name,
                    "x-dead-letter-routing-key": name,
                },
            )
            await queue.bind(dead_letter_exchange, routing_key=fed_by)
            return queue

        consumed = [await declare(self.queue_name, self.dead_letter_queue_name)]
        for attempt, delay in enumerate(self._settings.event_retry_delays_seconds, start=1):
            await declare(
                self.retry_queue_name(attempt),
                consumed[-1].name,
                **{"x-message-ttl": int(delay * 1000)},
            )
            consumed.append(
                await declare(self.retried_queue_name(attempt), self.retry_queue_name(attempt))
            )
        dead_letters = await declare(self.dead_letter_queue_name, consumed[-1].name)
        await dead_letters.bind(dead_letter_exchange, routing_key=self.refused_routing_key)
        exchange = await channel.get_exchange(self.exchange_name)
        for event_type in self._subscriptions.event_types:
            await consumed[0].bind(exchange, routing_key=event_type)
        return consumed

    async def _on_message(self, message: AbstractIncomingMessage, *, is_last_attempt: bool) -> None:
        try:
            envelope = decode_envelope(message.body)
            data = parse_event_data(envelope)
        except (ValidationError, UnknownEventVersion, ValueError) as exc:
            log.error("unreadable event dead-lettered", extra={"error": str(exc)})
            await self._park_refused(message, "unreadable")
            return
        if not self._subscriptions.handles(envelope.type):
            await message.ack()
            return
        publisher = self.verified_publisher(message)
        expected = self.expected_publisher(envelope.type)
        if publisher != expected or REFUSED_HEADER in message.headers:
            log.error(
                "event from a publisher not allowed to produce it dead-lettered",
                extra={
                    "event_id": str(envelope.id),
                    "event_type": envelope.type,
                    "publisher": publisher,
                    "expected_publisher": expected,
                },
            )
            await self._park_refused(message, "publisher")
            return
        token = correlation_id_var.set(envelope.correlation_id)
        started, outcome = time.perf_counter(), "handled"
        try:
            with self._handling_span(envelope):
                await self._handle_despite_outages(envelope, data)
        except _StoppedWaiting:
            # Unacknowledged, it goes back to the queue when the connection closes.
            outcome = "failed"
        except Exception:
            outcome = "failed"
            log.exception(
                "event handling failed",
                extra={"event_id": str(envelope.id), "event_type": envelope.type},
            )
            await self._retry_or_dead_letter(message, is_last_attempt=is_last_attempt)
        else:
            await message.ack()
        finally:
            correlation_id_var.reset(token)
            EVENT_HANDLING.labels(self._settings.service_name, envelope.type, outcome).observe(
                time.perf_counter() - started, exemplar=exemplar()
            )

    def _handling_span(self, envelope: EventEnvelope) -> AbstractContextManager[None]:
        service = self._settings.service_name
        return traced(
            f"{service} handle {envelope.type}",
            {SERVICE_ATTRIBUTE: service, "messaging.message.id": str(envelope.id)},
        )

    async def _park_refused(self, message: AbstractIncomingMessage, reason: str) -> None:
        """Park a copy marked refused at once (not after every retry), then drop the original.

        The copy is published as this service; the marker makes it refused again wherever it
        goes, so the copy can never pass for the original publisher. A copy not confirmed
        leaves the original to go the retries' way (to the dead-letter queue in the end)."""
        headers = {
            **message.headers,
            REFUSED_HEADER: reason,
            REFUSED_PUBLISHER_HEADER: message.user_id or "",
        }
        copy = aio_pika.Message(
            body=message.body,
            headers=headers,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            type=message.type,
            user_id=self.broker_user,
        )
        try:
            if self._dead_letter_exchange is None:
                raise RuntimeError("the bus is not connected")
            await self._dead_letter_exchange.publish(
                copy,
                routing_key=self.refused_routing_key,
                mandatory=True,
                timeout=PUBLISH_TIMEOUT_SECONDS,
            )
        except Exception:
            log.exception("refused event not parked; rejected", extra={"reason": reason})
            await message.reject(requeue=False)
        else:
            await message.ack()
        EVENTS_DEAD_LETTERED.labels(self.queue_name, reason).inc()

    def expected_publisher(self, event_type: str) -> str | None:
        service = producing_service(event_type)
        return None if service is None else f"{self._settings.amqp_user_prefix}{service}"

    def verified_publisher(self, message: AbstractIncomingMessage) -> str | None:
        """The broker user that published the event: RabbitMQ checked `user_id` on publish,
        and retries and redrives are the same message moved by RabbitMQ, never republished."""
        return message.user_id

    async def _handle_despite_outages(self, envelope: EventEnvelope, data: EventData) -> None:
        """Handle the event, holding it while MongoDB does not answer (see the module's doc).

        Past `event_database_outage_seconds` the error counts like any other: a handler whose
        query times out the connection every time is a bad message after all."""
        deadline = time.monotonic() + self._settings.event_database_outage_seconds
        delay = DATABASE_WAIT_FIRST_SECONDS
        while True:
            try:
                await self._handle_once(envelope, data)
            except ConnectionFailure as exc:
                wait = min(delay, deadline - time.monotonic())
                if wait <= 0:
                    raise
                log.warning(
                    "database unreachable; event held to be tried again",
                    extra={"event_id": str(envelope.id), "error": str(exc), "retry_in": wait},
                )
                EVENTS_HELD_FOR_DATABASE.labels(self.queue_name).inc()
                if await self._stopped_within(wait):
                    raise _StoppedWaiting from exc
                delay = min(delay * 2, DATABASE_WAIT_MAX_SECONDS)
            else:
                return

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _handle_once(self, envelope: EventEnvelope, data: EventData) -> None:
        if not self._subscriptions.concerns(data):
            return  # every handler's `when` passes it by: nothing to do, nothing to record
        if self._processed is None or not self._subscriptions.needs_processed_log(data):
            # Single-write handlers keep the id in the document they write (write_once);
            # replay-safe ones key their effect by the event.
            await self._subscriptions.deliver(envelope.id, data)
            return
        if await self._processed.seen(envelope.id):
            return
        await self._subscriptions.deliver(envelope.id, data)
        await self._processed.record(envelope.id, envelope.type)

    async def _retry_or_dead_letter(
        self, message: AbstractIncomingMessage, *, is_last_attempt: bool
    ) -> None:
        """Reject: RabbitMQ moves the message to its next retry, or parks it after the last."""
        await message.reject(requeue=False)
        if is_last_attempt:
            EVENTS_DEAD_LETTERED.labels(self.queue_name, "retries_exhausted").inc()
        else:
            EVENTS_RETRIED.labels(self.queue_name).inc()

    async def measure_queues(self) -> None:
        """Set the depth gauges of this service's queues (for a scrape; consumers only)."""
        if self._queue is None:
            return
        if self._metrics_channel is None or self._metrics_channel.is_closed:
            self._metrics_channel = await self._require_connection().channel()
        for name in self.queue_names:
            queue = await self._metrics_channel.declare_queue(name, passive=True)
            QUEUE_MESSAGES.labels(name).set(queue.declaration_result.message_count or 0)

    async def stop_consuming(self) -> None:
        """Take no more messages; those held unacknowledged go back when the connection closes."""
        self._stopping.set()
        tags, self._consumer_tags = self._consumer_tags, []
        for queue, tag in tags:
            await queue.cancel(tag)

    async def delete_topology(self) -> None:
        """Remove every queue and exchange this bus declared (for tests that clean up).

        On a connection of its own, so that it can run once the service has stopped: deleting
        a quorum queue while the service's relay publishes to it crashes the publishing
        channel on RabbitMQ 3.10 (INTERNAL_ERROR)."""
        names = [*self.queue_names, self.unrouted_name]
        url = self._settings.amqp_url.get_secret_value()
        async with await aio_pika.connect(url) as connection:
            channel = await connection.channel()
            for name in names:
                await channel.queue_delete(name, if_unused=False, if_empty=False)
            for name in (self.exchange_name, self.unrouted_name, self.dead_letter_exchange_name):
                await channel.exchange_delete(name, if_unused=False)

    def _require_connection(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise RuntimeError("the bus is not connected")
        return self._connection


def broker_user_of(amqp_url: str) -> str:
    """The user an AMQP URL logs in as (RabbitMQ's default when it names none)."""
    return unquote(urlsplit(amqp_url).username or "guest")


def _message(envelope: EventEnvelope, broker_user: str) -> aio_pika.Message:
    return aio_pika.Message(
        user_id=broker_user,
        body=envelope.model_dump_json().encode(),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=str(envelope.id),
        correlation_id=envelope.correlation_id,
        type=envelope.type,
        timestamp=envelope.occurred_at,
        headers={"producer": envelope.producer, "version": envelope.version},
    )
