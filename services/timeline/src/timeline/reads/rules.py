"""The reading rules, pure: merging newest-first lists of entries into one exact page, and
the page's opaque cursor."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.pagination import cursor_text, cursor_time, decode_cursor, encode_cursor
from shared.problems import NotFound
from timeline.core.rules import TimelinePosition


class UnknownUser(NotFound):
    def __init__(self) -> None:
        super().__init__("No such user.")


@dataclass(frozen=True, slots=True)
class TimelinePage:
    post_ids: tuple[str, ...]
    next_position: TimelinePosition | None


def merge_timeline_page(sources: Iterable[Sequence[TimelinePosition]], limit: int) -> TimelinePage:
    """The first `limit` distinct posts of several newest-first lists, and where to go on.

    Each source must hold at least `limit + 1` distinct posts when it has that many after
    the cursor; then the merged page is exact and a next page exists iff one more remains.
    """
    distinct = {position.post_id: position for source in sources for position in source}
    ordered = sorted(distinct.values(), reverse=True)
    page = ordered[:limit]
    has_more = len(ordered) > limit
    return TimelinePage(
        post_ids=tuple(position.post_id for position in page),
        next_position=page[-1] if has_more and page else None,
    )


def position_to_cursor(position: TimelinePosition) -> str:
    return encode_cursor({"t": position.published_at.isoformat(), "p": position.post_id})


def position_from_cursor(cursor: str) -> TimelinePosition:
    """The position an opaque cursor names; anything a client made up is a 400."""
    fields = decode_cursor(cursor)
    return TimelinePosition(cursor_time(fields, "t"), cursor_text(fields, "p"))
