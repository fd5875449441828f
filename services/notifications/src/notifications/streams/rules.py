"""The live stream's rules, pure: where a stream stands in a recipient's sequence, how many
streams an account may hold, and the Last-Event-ID a client resumes from."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.problems import BadRequest, TooManyRequests


@dataclass
class StreamPosition:
    """Where a stream is in one recipient's sequence of notifications.

    Sequence numbers are assigned before the insert, so a later number can commit before an
    earlier one: the stream only moves over the contiguous prefix, and waits `grace_seconds`
    for a missing number (a write still in flight) before it skips it (a writer that died).
    """

    last_seq: int
    grace_seconds: float
    _gap_seen_at: float | None = field(default=None, repr=False)

    def advance[T](self, found: Sequence[tuple[int, T]], now: float) -> list[T]:
        """The items to deliver, in order, from those found after `last_seq` (sorted by seq)."""
        delivered: list[T] = []
        for seq, item in found:
            if seq <= self.last_seq:
                continue
            if seq > self.last_seq + 1 and not self._gap_expired(now):
                return delivered
            self.last_seq = seq
            self._gap_seen_at = None
            delivered.append(item)
        return delivered

    def _gap_expired(self, now: float) -> bool:
        if self._gap_seen_at is None:
            self._gap_seen_at = now
        return now - self._gap_seen_at >= self.grace_seconds


# How soon to try again when an account has all its streams open: one usually closes soon.
STREAM_LIMIT_RETRY_AFTER_SECONDS = 10


class TooManyStreams(TooManyRequests):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"At most {limit} notification streams may be open at once for one account.",
            retry_after_seconds=STREAM_LIMIT_RETRY_AFTER_SECONDS,
        )


class InvalidLastEventId(BadRequest):
    """A Last-Event-ID this service never sent."""


def parse_last_event_id(value: str | None) -> int | None:
    """The sequence number a reconnecting EventSource sends back; None when absent or blank."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InvalidLastEventId("Last-Event-ID is not a notification position.")
    return int(text)


# A post id is a short token; anything else on a home channel is not passed on.
MAX_POST_ID_LENGTH = 64


def home_update_post_id(data: object) -> str | None:
    """The post id a home update carries, or None when it is not one (a line break would end
    the SSE event early)."""
    if not isinstance(data, str) or not 0 < len(data) <= MAX_POST_ID_LENGTH:
        return None
    if not data.isascii() or not data.isprintable():
        return None
    return data
