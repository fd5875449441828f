"""The streams this process serves, per recipient, and the wakeups that reach them.

A notification stored by this process wakes its recipient's streams at once; one stored by
another replica reaches them through the change feed (`StreamQueries.poll_feed`).
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from notifications.streams.rules import TooManyStreams


@dataclass(eq=False)
class StreamSubscription:
    """One open stream: woken when its recipient may have something after `last_seq`."""

    recipient_id: str
    last_seq: int
    woken: asyncio.Event = field(default_factory=asyncio.Event)


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
                subscription.woken.set()
