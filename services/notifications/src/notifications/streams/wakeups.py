"""The streams this process serves, per recipient, and the wakeups that reach them.

A notification stored by this process wakes its recipient's streams at once; one stored by
another replica reaches them through the change feed (`StreamQueries.poll_feed`). A post new
in a recipient's home timeline reaches them through Redis (`HomeUpdateRelay`).
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from notifications.streams.rules import TooManyStreams, home_update_post_id
from shared.home_updates import home_channel, home_channel_prefix
from shared.periodic import BackgroundTask
from shared.redis_store import REDIS_DOWN, RedisClient

log = logging.getLogger(__name__)

# How soon the relay subscribes to the channel of a stream just opened (and lets go of one
# closed): it looks at the open streams this often between messages.
RELAY_SYNC_SECONDS = 0.1
# How long the relay waits before it connects again after Redis failed it.
RELAY_RECONNECT_SECONDS = 2.0


@dataclass(eq=False)
class StreamSubscription:
    """One open stream: woken when its recipient may have something after `last_seq`."""

    recipient_id: str
    last_seq: int
    woken: asyncio.Event = field(default_factory=asyncio.Event)
    # Whether a notification may be stored after `last_seq` (woken for a home update only,
    # the stream need not read the notifications again).
    read_due: bool = True
    # Posts new in the recipient's home timeline, not sent yet.
    home_posts: list[str] = field(default_factory=list)

    def take_home_posts(self) -> list[str]:
        taken, self.home_posts = self.home_posts, []
        return taken


class LocalWakeups:
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
                subscription.read_due = True
                subscription.woken.set()

    def home_updated(self, recipient_id: str, post_id: str) -> None:
        """Tell the recipient's streams of a post new in their home timeline."""
        for subscription in self._open.get(recipient_id, ()):
            subscription.home_posts.append(post_id)
            subscription.woken.set()


class HomeUpdateRelay:
    """Passes the home updates announced in Redis (`shared.home_updates`) to the streams open
    here: one connection per process, subscribed to the channels of the recipients with an
    open stream. While Redis is down the streams go on without home updates."""

    def __init__(self, redis: RedisClient, prefix: str, wakeups: LocalWakeups) -> None:
        self._redis = redis
        self._prefix = prefix
        self._wakeups = wakeups
        self._task = BackgroundTask("home-update-relay", self._reconnect_while_running)

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()

    async def _reconnect_while_running(self) -> None:
        while True:
            try:
                await self._relay()
            except REDIS_DOWN as exc:
                log.warning("home updates paused: Redis is down", extra={"error": repr(exc)})
            await asyncio.sleep(RELAY_RECONNECT_SECONDS)

    async def _relay(self) -> None:
        reader_at = len(home_channel_prefix(self._prefix))
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        subscribed: set[str] = set()
        try:
            while True:
                wanted = {home_channel(self._prefix, r) for r in self._wakeups.recipients()}
                if added := wanted - subscribed:
                    await pubsub.subscribe(*added)
                if removed := subscribed - wanted:
                    await pubsub.unsubscribe(*removed)
                subscribed = wanted
                if not subscribed:
                    await asyncio.sleep(RELAY_SYNC_SECONDS)
                    continue
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=RELAY_SYNC_SECONDS
                )
                if message is None or message["type"] != "message":
                    continue
                post_id = home_update_post_id(message["data"])
                if post_id is not None:
                    self._wakeups.home_updated(message["channel"][reader_at:], post_id)
        finally:
            with contextlib.suppress(*REDIS_DOWN):
                await pubsub.aclose()
