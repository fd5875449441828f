"""Live streams: Server-Sent Events of one user's new notifications, from any replica.

There are no change streams on the embedded MongoDB, so each replica runs one change feed
(`poll_feed`): a single poll, every `stream_poll_seconds`, for the latest sequence
number stored since a moment ago for the recipients of its open streams, which wakes those
streams that are behind. A notification this process stores wakes its streams at once. A
stream reads the database only when woken, so a thousand quiet streams cost one query per
poll, not a thousand. Positions are per-recipient sequence numbers: the SSE `id`, which a
reconnecting client sends back as Last-Event-ID to resume without gaps.

The stream also says when a post is new in the recipient's home timeline (`home.updated`,
the post's id, no `id:`), relayed from Redis (`HomeUpdateRelay`); woken for that alone, it
does not read the notifications again.
"""

import asyncio
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request

from notifications.core.queries import NotificationQueries
from notifications.core.repository import NotificationRepository
from notifications.core.schemas import Notification
from notifications.settings import NotificationsSettings
from notifications.streams.rules import StreamPosition
from notifications.streams.wakeups import LocalWakeups, StreamSubscription
from shared.clock import utc_now
from shared.home_updates import HOME_UPDATED
from shared.observability import OPEN_STREAMS

STREAM_MEDIA_TYPE = "text/event-stream"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEPALIVE = b": keep-alive\n\n"
_BATCH = 100


def sse_event(seq: int, notification: Notification) -> bytes:
    data = notification.model_dump_json()
    return f"id: {seq}\nevent: notification\ndata: {data}\n\n".encode()


def home_updated_event(post_id: str) -> bytes:
    """No `id:` line: Last-Event-ID stays the last notification's, and a reconnecting client
    reads its timeline again rather than these."""
    return f"event: {HOME_UPDATED}\ndata: {post_id}\n\n".encode()


@dataclass(frozen=True, slots=True)
class StreamQueries:
    repository: NotificationRepository
    notifications: NotificationQueries
    wakeups: LocalWakeups
    settings: NotificationsSettings

    async def open_position(self, recipient_id: str, resume_after: int | None) -> StreamPosition:
        """Where a stream starts: after Last-Event-ID, or after what is stored already."""
        last_seq = resume_after
        if last_seq is None:
            last_seq = await self.repository.latest_seq(recipient_id)
        return StreamPosition(
            last_seq=last_seq, grace_seconds=self.settings.stream_gap_grace_seconds
        )

    async def events(
        self, request: Request, recipient_id: str, position: StreamPosition
    ) -> AsyncGenerator[bytes]:
        """The stream's body; its first step takes one of the account's stream slots (or raises
        TooManyStreams), so call it once before answering."""
        settings = self.settings
        with (
            self.wakeups.subscribe(recipient_id, position.last_seq) as subscription,
            OPEN_STREAMS.labels(settings.service_name).track_inprogress(),
        ):
            yield f"retry: {settings.stream_retry_milliseconds}\n: connected\n\n".encode()
            last_sent = time.monotonic()
            backlog, gap_pending = False, False
            while not await request.is_disconnected():
                subscription.woken.clear()
                for post_id in subscription.take_home_posts():
                    yield home_updated_event(post_id)
                    last_sent = time.monotonic()
                if subscription.read_due or backlog or gap_pending:
                    subscription.read_due = False
                    found = await self.repository.after(recipient_id, position.last_seq, _BATCH)
                    delivered = position.advance(
                        [(doc["seq"], doc) for doc in found], time.monotonic()
                    )
                    subscription.last_seq = position.last_seq
                    shown = [doc for doc in delivered if not doc.get("withdrawn")]
                    for doc, notification in zip(
                        shown, await self.notifications.render(shown), strict=True
                    ):
                        yield sse_event(doc["seq"], notification)
                        last_sent = time.monotonic()
                    backlog = len(found) == _BATCH and len(delivered) == _BATCH
                    # A number still being written holds the rest back: look again soon for it.
                    gap_pending = len(delivered) < len(found)
                if time.monotonic() - last_sent >= settings.keepalive_seconds:
                    yield KEEPALIVE
                    last_sent = time.monotonic()
                if backlog:
                    continue  # read on without waiting
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
        timeout = self.settings.keepalive_seconds - (time.monotonic() - last_sent)
        if gap_pending:
            timeout = min(timeout, self.settings.stream_poll_seconds)
        try:
            await asyncio.wait_for(subscription.woken.wait(), max(0.0, timeout))
        except TimeoutError:
            return False
        return True

    async def poll_feed(self) -> None:
        """The change feed: wake the streams here whose recipients have something new,
        stored by any replica since a moment ago (one query for all of them)."""
        recipients = self.wakeups.recipients()
        if not recipients:
            return
        since = utc_now() - timedelta(seconds=self.settings.stream_feed_lookback_seconds)
        latest = await self.repository.latest_seqs_since(recipients, since)
        for recipient_id, seq in latest.items():
            self.wakeups.wake(recipient_id, seq)
