"""Live streams (a capability): Server-Sent Events of one user's new notifications, from any
replica.

There are no change streams on the embedded MongoDB, so each replica runs one change feed
(`NotificationFeed`): a single poll, every `stream_poll_seconds`, for the latest sequence
number stored since a moment ago for the recipients of its open streams, which wakes those
streams that are behind. A notification this process stores wakes its streams at once. A
stream reads the database only when woken, so a thousand quiet streams cost one query per
poll, not a thousand. Positions are per-recipient sequence numbers: the SSE `id`, which a
reconnecting client sends back as Last-Event-ID to resume without gaps.
"""

import asyncio
import time
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import Request

from notifications.domain import StreamPosition, TooManyStreams
from notifications.queries import NotificationQueries
from notifications.repository import NotificationRepository
from notifications.schemas import Notification
from notifications.settings import NotificationsSettings
from shared.clock import utc_now
from shared.observability import OPEN_STREAMS
from shared.periodic import PeriodicTask

STREAM_MEDIA_TYPE = "text/event-stream"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEPALIVE = b": keep-alive\n\n"
_BATCH = 100


def sse_event(seq: int, notification: Notification) -> bytes:
    data = notification.model_dump_json()
    return f"id: {seq}\nevent: notification\ndata: {data}\n\n".encode()


@dataclass(eq=False)
class StreamSubscription:
    """One open stream: woken when its recipient may have something after `last_seq`."""

    recipient_id: str
    last_seq: int
    woken: asyncio.Event = field(default_factory=asyncio.Event)


class LocalWakeups:
    """The streams this process serves, per recipient, and the wakeups that reach them.

    A notification stored by this process wakes its recipient's streams at once; one stored
    by another replica reaches them through the change feed (NotificationFeed).
    """

    def __init__(self, max_streams_per_account: int | None = None) -> None:
        self._max_streams = max_streams_per_account
        self._open: dict[str, set[StreamSubscription]] = {}

    @contextmanager
    def subscribe(self, recipient_id: str, last_seq: int = 0) -> Iterator[StreamSubscription]:
        """A new stream of `recipient_id`; TooManyStreams (429) when the account is at its cap."""
        streams = self._open.setdefault(recipient_id, set())
        if self._max_streams is not None and len(streams) >= self._max_streams:
            raise TooManyStreams(self._max_streams)
        subscription = StreamSubscription(recipient_id, last_seq)
        streams.add(subscription)
        try:
            yield subscription
        finally:
            streams.discard(subscription)
            if not streams:
                self._open.pop(recipient_id, None)

    def recipients(self) -> list[str]:
        """The recipients with at least one open stream here."""
        return list(self._open)

    def wake(self, recipient_id: str, seq: int | None = None) -> None:
        """Wake the recipient's streams that have not reached `seq` (all of them when None)."""
        for subscription in self._open.get(recipient_id, ()):
            if seq is None or subscription.last_seq < seq:
                subscription.woken.set()


class NotificationFeed:
    """One poller per replica that wakes the local streams of recipients with something new."""

    def __init__(
        self,
        repository: NotificationRepository,
        wakeups: LocalWakeups,
        settings: NotificationsSettings,
    ) -> None:
        self._repository = repository
        self._wakeups = wakeups
        self._lookback = timedelta(seconds=settings.stream_feed_lookback_seconds)
        self._task = PeriodicTask(
            "notification-feed", self.poll, interval_seconds=settings.stream_poll_seconds
        )

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()

    async def poll(self) -> None:
        recipients = self._wakeups.recipients()
        if not recipients:
            return
        latest = await self._repository.latest_seqs_since(recipients, utc_now() - self._lookback)
        for recipient_id, seq in latest.items():
            self._wakeups.wake(recipient_id, seq)


class NotificationStreams:
    def __init__(
        self,
        repository: NotificationRepository,
        queries: NotificationQueries,
        wakeups: LocalWakeups,
        settings: NotificationsSettings,
    ) -> None:
        self._repository = repository
        self._queries = queries
        self._wakeups = wakeups
        self._settings = settings

    async def open_position(self, recipient_id: str, resume_after: int | None) -> StreamPosition:
        """Where a stream starts: after Last-Event-ID, or after what is stored already."""
        last_seq = resume_after
        if last_seq is None:
            last_seq = await self._repository.latest_seq(recipient_id)
        return StreamPosition(
            last_seq=last_seq, grace_seconds=self._settings.stream_gap_grace_seconds
        )

    async def events(
        self, request: Request, recipient_id: str, position: StreamPosition
    ) -> AsyncGenerator[bytes]:
        """The stream's body; its first step takes one of the account's stream slots (or raises
        TooManyStreams), so call it once before answering."""
        settings = self._settings
        with (
            self._wakeups.subscribe(recipient_id, position.last_seq) as subscription,
            OPEN_STREAMS.labels(settings.service_name).track_inprogress(),
        ):
            yield f"retry: {settings.stream_retry_milliseconds}\n: connected\n\n".encode()
            last_sent = time.monotonic()
            while not await request.is_disconnected():
                subscription.woken.clear()
                found = await self._repository.after(recipient_id, position.last_seq, _BATCH)
                delivered = position.advance([(doc["seq"], doc) for doc in found], time.monotonic())
                subscription.last_seq = position.last_seq
                shown = [doc for doc in delivered if not doc.get("withdrawn")]
                for doc, notification in zip(shown, await self._queries.render(shown), strict=True):
                    yield sse_event(doc["seq"], notification)
                    last_sent = time.monotonic()
                if time.monotonic() - last_sent >= settings.keepalive_seconds:
                    yield KEEPALIVE
                    last_sent = time.monotonic()
                if len(found) == _BATCH and len(delivered) == _BATCH:
                    continue  # a backlog: read on without waiting
                # A number still being written holds the rest back: look again soon for it.
                gap_pending = len(delivered) < len(found)
                while (
                    not await self._woken(subscription, last_sent, gap_pending) and not gap_pending
                ):
                    yield KEEPALIVE  # quiet: no query, only the comment proxies need
                    last_sent = time.monotonic()
                    if await request.is_disconnected():
                        return

    async def _woken(
        self, subscription: StreamSubscription, last_sent: float, gap_pending: bool
    ) -> bool:
        """Whether the stream was woken before its next keep-alive (or, with a gap pending,
        before its next look for the missing number)."""
        timeout = self._settings.keepalive_seconds - (time.monotonic() - last_sent)
        if gap_pending:
            timeout = min(timeout, self._settings.stream_poll_seconds)
        try:
            await asyncio.wait_for(subscription.woken.wait(), max(0.0, timeout))
        except TimeoutError:
            return False
        return True
