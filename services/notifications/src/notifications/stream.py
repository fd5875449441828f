"""The live stream: Server-Sent Events of one user's new notifications, from any replica.

There are no change streams on the embedded MongoDB, so a stream polls for the user's
notifications after its position (and is woken at once when this process stores one).
Positions are per-recipient sequence numbers: the SSE `id`, which a reconnecting client
sends back as Last-Event-ID to resume without gaps.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from fastapi import Request

from notifications.domain import StreamPosition
from notifications.notifier import LocalWakeups
from notifications.queries import NotificationQueries
from notifications.repository import NotificationRepository
from notifications.schemas import Notification
from notifications.settings import NotificationsSettings

STREAM_MEDIA_TYPE = "text/event-stream"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEPALIVE = b": keep-alive\n\n"
_BATCH = 100


def sse_event(seq: int, notification: Notification) -> bytes:
    data = notification.model_dump_json()
    return f"id: {seq}\nevent: notification\ndata: {data}\n\n".encode()


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
    ) -> AsyncIterator[bytes]:
        settings = self._settings
        yield f"retry: {settings.stream_retry_milliseconds}\n: connected\n\n".encode()
        last_sent = time.monotonic()
        with self._wakeups.subscribe(recipient_id) as wakeup:
            while not await request.is_disconnected():
                wakeup.clear()
                found = await self._repository.after(recipient_id, position.last_seq, _BATCH)
                delivered = position.advance([(doc["seq"], doc) for doc in found], time.monotonic())
                shown = [doc for doc in delivered if not doc.get("withdrawn")]
                for doc, notification in zip(shown, await self._queries.render(shown), strict=True):
                    yield sse_event(doc["seq"], notification)
                    last_sent = time.monotonic()
                if time.monotonic() - last_sent >= settings.keepalive_seconds:
                    yield KEEPALIVE
                    last_sent = time.monotonic()
                if len(found) == _BATCH and len(delivered) == _BATCH:
                    continue  # a backlog: read on without waiting
                until_keepalive = settings.keepalive_seconds - (time.monotonic() - last_sent)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        wakeup.wait(), max(0.0, min(settings.stream_poll_seconds, until_keepalive))
                    )
