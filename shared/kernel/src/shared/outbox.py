"""The aggregate-embedded outbox and its relay.

A state change and the events it causes are one single-document write: the events are
pushed onto the `outbox` array of the document that changed, and the document is marked
`outbox_pending`. The relay publishes what it finds in the marked documents with publisher
confirms, pulls each event once it is confirmed, and removes the mark from a document whose
outbox is empty. It wakes at once after a local write and sweeps periodically for what a crash
or an outage left behind, so events are delayed by failures, never lost. Two relays may
publish the same event twice; consumers are idempotent, so at-least-once is enough.
"""

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from prometheus_client import Counter, Gauge
from pydantic import ValidationError
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from shared.clock import utc_now
from shared.events import EventData, EventEnvelope, make_event
from shared.logging import correlation_id_var
from shared.mongo import Database, Document, IndexSpec
from shared.periodic import PeriodicTask
from shared.tracing import trace_context, untraced

log = logging.getLogger(__name__)

OUTBOX_FIELD = "outbox"
# On a document while its outbox holds events not yet published, and only then. The sweep asks
# for `{outbox_pending: true}`, an equality on a top-level field: every server answers it from
# the index on that field alone, so a sweep reads the pending documents, not the collection.
# (A condition on `outbox.id` reaches into an array: the stand-in on mongoeco evaluates it in
# Python over every document of the collection, at each sweep.)
PENDING_FIELD = "outbox_pending"
# Outbox entries no envelope can be read from, moved aside so they stop blocking the rest.
OUTBOX_DEAD_LETTERS = "outbox_dead_letters"
# Beside an entry: the trace context of the write that produced it (shared.tracing), so the
# relay publishes the event in the trace of the request that caused it.
TRACE_FIELD = "trace"

EVENTS_RELAYED = Counter(
    "copost_outbox_events_relayed_total", "Events published from the outbox", ["service"]
)
ENTRIES_PARKED = Counter(
    "copost_outbox_entries_parked_total",
    "Unreadable outbox entries moved to the outbox_dead_letters collection",
    ["service"],
)
OUTBOX_BACKLOG = Gauge(
    "copost_outbox_backlog_events", "Events written but not yet published", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "copost_outbox_oldest_event_age_seconds",
    "Age of the oldest event not yet published (0 when none)",
    ["service"],
)


# A document's own fields as read: without the events waiting in its outbox, or the mark.
WITHOUT_OUTBOX: Document = {OUTBOX_FIELD: 0, PENDING_FIELD: 0}
_PENDING: Document = {PENDING_FIELD: True}
# Entries written before the mark existed: in an outbox, on a document without the mark.
_UNMARKED: Document = {f"{OUTBOX_FIELD}.id": {"$exists": True}, PENDING_FIELD: {"$exists": False}}


def outbox_indexes(collection: str) -> list[IndexSpec]:
    """The sweep's index: an equality on it reads the pending documents only, however many
    others the collection has. Not sparse: mongoeco answers an equality from a sparse index by
    reading every document of the collection (in SQLite), from a plain one by a seek, as
    MongoDB and SecantusDB do either way. And the one on the event ids, which finds the entries
    written before the mark when a service starts (`mark_pending`) without a collection scan."""
    return [
        IndexSpec(collection, [(PENDING_FIELD, 1)]),
        IndexSpec(collection, [(f"{OUTBOX_FIELD}.id", 1)], {"sparse": True}),
    ]


async def mark_pending(db: Database, collections: Sequence[str]) -> None:
    """Mark the documents whose outbox entries were written before the mark existed (by an
    earlier release), so that the relay finds them. Idempotent; run at every start, so that an
    entry an earlier release's replica left behind during a rolling upgrade is found too.
    Untraced, like the sweep it prepares: no user's request or event is behind it."""
    with untraced():
        for name in collections:
            await db[name].update_many(_UNMARKED, {"$set": _PENDING})


def with_events(update: Document, events: Sequence[EventEnvelope]) -> Document:
    """Add `events` to a MongoDB update document, so they are written with the change."""
    if not events:
        return update
    pushed = dict(update.get("$push", {}))
    pushed[OUTBOX_FIELD] = {"$each": [outbox_entry(event) for event in events]}
    return {**update, "$push": pushed, "$set": {**update.get("$set", {}), **_PENDING}}


def outbox_fields(events: Sequence[EventEnvelope]) -> Document:
    """The fields a new document carries its events in (with `insert_one`)."""
    entries = [outbox_entry(event) for event in events]
    return {OUTBOX_FIELD: entries, **(_PENDING if entries else {})}


def outbox_entry(event: EventEnvelope) -> Document:
    entry = event.model_dump(mode="json")
    entry["id"] = str(event.id)
    if carrier := trace_context():
        entry[TRACE_FIELD] = carrier
    return entry


def _read_entry(entry: Any) -> tuple[EventEnvelope, Mapping[str, str]]:
    """The envelope of an outbox entry, and the trace context stored beside it."""
    if isinstance(entry, dict) and TRACE_FIELD in entry:
        entry = dict(entry)
        carrier = entry.pop(TRACE_FIELD)
        return EventEnvelope.model_validate(entry), carrier if isinstance(carrier, dict) else {}
    return EventEnvelope.model_validate(entry), {}


class EventPublisher(Protocol):
    """What the relay needs of the bus: publish and say which event ids were confirmed."""

    async def publish(
        self,
        envelopes: Sequence[EventEnvelope],
        trace_contexts: Mapping[UUID, Mapping[str, str]] | None = None,
    ) -> list[UUID]: ...


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        collections: Sequence[str],
        publisher: EventPublisher,
        *,
        service_name: str,
        sweep_seconds: float = 5.0,
        batch_size: int = 100,
    ) -> None:
        self._db = db
        self._collections = list(collections)
        self._publisher = publisher
        self._service_name = service_name
        self._batch_size = batch_size
        self._loop = PeriodicTask(
            f"outbox-relay-{service_name}", self._relay_all, interval_seconds=sweep_seconds
        )

    def wake(self) -> None:
        """Called after a local write that carried events: publish them now, not at the sweep."""
        self._loop.wake()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _relay_all(self) -> None:
        while await self.relay_pending() == self._batch_size:
            pass

    async def relay_pending(self) -> int:
        """One pass over every outbox collection; returns the most events found in one of them."""
        most = 0
        for name in self._collections:
            most = max(most, await self._relay_collection(name))
        return most

    async def _relay_collection(self, name: str) -> int:
        collection = self._db[name]
        documents = await collection.find(_PENDING, {OUTBOX_FIELD: 1}).to_list(self._batch_size)
        pending: list[tuple[Any, EventEnvelope]] = []
        traces: dict[UUID, Mapping[str, str]] = {}
        for document in documents:
            for entry in document.get(OUTBOX_FIELD, []):
                try:
                    envelope, carrier = _read_entry(entry)
                except ValidationError as exc:
                    await self._park(name, document["_id"], entry, exc)
                else:
                    pending.append((document["_id"], envelope))
                    traces[envelope.id] = carrier
        pending = pending[: self._batch_size]
        if not pending:
            await self._unmark_emptied(collection, [document["_id"] for document in documents])
            return 0
        published = await self._publisher.publish([e for _, e in pending], traces)
        confirmed = {str(i) for i in published}
        relayed: dict[Any, list[str]] = {}
        for document_id, event in pending:
            if str(event.id) in confirmed:
                relayed.setdefault(document_id, []).append(str(event.id))
        if relayed:
            # One command removes them from every document, however many there are.
            await collection.bulk_write(
                [
                    UpdateOne({"_id": doc_id}, {"$pull": {OUTBOX_FIELD: {"id": {"$in": ids}}}})
                    for doc_id, ids in relayed.items()
                ],
                ordered=False,
            )
        await self._unmark_emptied(collection, [document["_id"] for document in documents])
        EVENTS_RELAYED.labels(self._service_name).inc(len(confirmed))
        if len(confirmed) < len(pending):
            raise RuntimeError(f"{len(pending) - len(confirmed)} events were not confirmed")
        return len(pending)

    @staticmethod
    async def _unmark_emptied(
        collection: AsyncCollection[Document], document_ids: list[Any]
    ) -> None:
        """Remove the mark from those of the documents whose outbox is empty now. A separate
        write from the pull: an event pushed in between leaves the outbox non-empty, so the
        mark stays; a crash in between leaves a mark on an empty outbox, removed next sweep."""
        if document_ids:
            await collection.update_many(
                {"_id": {"$in": document_ids}, OUTBOX_FIELD: {"$size": 0}},
                {"$unset": {PENDING_FIELD: ""}},
            )

    async def _park(self, name: str, document_id: Any, entry: Any, error: ValidationError) -> None:
        """Copy the entry aside, then pull it: a crash between the two leaves a duplicate copy,
        never a lost entry."""
        log.error(
            "unreadable outbox entry parked",
            extra={"collection": name, "document_id": str(document_id), "error": str(error)},
        )
        await self._db[OUTBOX_DEAD_LETTERS].insert_one(
            {
                "_id": uuid4().hex,
                "service": self._service_name,
                "collection": name,
                "document_id": document_id,
                "entry": entry,
                "error": str(error),
                "parked_at": utc_now(),
            }
        )
        await self._db[name].update_one({"_id": document_id}, {"$pull": {OUTBOX_FIELD: entry}})
        ENTRIES_PARKED.labels(self._service_name).inc()

    async def pending_count(self) -> int:
        total = 0
        for name in self._collections:
            async for document in self._db[name].find(_PENDING, {OUTBOX_FIELD: 1}):
                total += len(document.get(OUTBOX_FIELD, []))
        return total

    async def measure_backlog(self) -> None:
        """Set the backlog gauges: events not yet published, and how old the oldest one is."""
        count, oldest = 0, None
        for name in self._collections:
            async for row in await self._db[name].aggregate(_BACKLOG_PIPELINE):
                count += row["count"]
                if row["oldest"] is not None and (oldest is None or row["oldest"] < oldest):
                    oldest = row["oldest"]
        OUTBOX_BACKLOG.labels(self._service_name).set(count)
        age = (
            0.0 if oldest is None else (utc_now() - datetime.fromisoformat(oldest)).total_seconds()
        )
        OUTBOX_OLDEST_AGE.labels(self._service_name).set(max(0.0, age))


_BACKLOG_PIPELINE: list[Document] = [
    {"$match": _PENDING},
    {"$unwind": f"${OUTBOX_FIELD}"},
    {
        "$group": {
            "_id": None,
            "count": {"$sum": 1},
            "oldest": {"$min": f"${OUTBOX_FIELD}.occurred_at"},
        }
    },
]


class Outbox:
    """How a service announces what changed: events written with the change, then relayed.

        with outbox.publishing(UserBlocked(...)) as events:
            await repository.activate_block(..., events)

    The envelopes carry the producer and the request's correlation id; once the block ends
    without an error the relay wakes, so the events go out now rather than at its next sweep.
    """

    def __init__(self, relay: OutboxRelay, *, producer: str) -> None:
        self._relay = relay
        self._producer = producer

    @contextmanager
    def publishing(self, *events: EventData) -> Iterator[list[EventEnvelope]]:
        correlation_id = correlation_id_var.get()
        envelopes = [
            make_event(data, producer=self._producer, correlation_id=correlation_id)
            for data in events
        ]
        yield envelopes
        if envelopes:
            self._relay.wake()
