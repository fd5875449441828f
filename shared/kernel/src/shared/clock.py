"""The one clock: now in UTC, at the millisecond precision MongoDB keeps.

Times are cut to milliseconds where they are made, so a time stored, announced in an event
and compared in memory is the same time. Components take a `Clock` so tests can move it.
"""

from collections.abc import Callable
from datetime import UTC, datetime

type Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return at_storage_precision(datetime.now(UTC))


def at_storage_precision(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
