"""Home and profile feeds kept in Redis, rebuilt from MongoDB: a profile from its entries, a
home feed pulled from the followees' profile entries (`timeline.fanout.repository`).

Each feed is a sorted set whose members all have score 0 and are entries' sort keys
(`TimelinePosition.sort_key`): Redis orders equal scores by member, so a page after a cursor is
one `ZREVRANGEBYLEX`. Beside the entries (which begin with a digit) a feed holds markers, which
sort before every entry:

- `""`: the feed is complete (rebuilt from MongoDB, then kept up by the fan-out);
- `"#"`: older entries were trimmed off (past the cap): a page that runs out reads MongoDB;
- `"!<token>"`: a rebuild is under way.

Writes follow MongoDB's (a post's profile entries are written before its fan-out): an entry is
added only to a feed that exists, so a missing feed is never made partial. A removal (unfollow,
block, a co-author's credit gone) deletes the feeds it touches; they are rebuilt on their next
read. A rebuild marks the feed first, so entries delivered while it reads MongoDB land in the
feed too, and completes it only if its mark is still there: a removal in the meantime deleted
it, and what it read may be stale.

Redis down: reads go to MongoDB. A write that fails may leave a feed behind MongoDB, so the
process stops using the cache and, once Redis answers again, deletes every feed before it uses
it again (each is rebuilt on its next read): nothing is queued, and nothing is lost.
"""

import logging
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from redis.asyncio.client import Pipeline

from shared.read_cache import CacheHealth
from shared.redis_store import REDIS_DOWN, RedisClient
from timeline.core.rules import TimelinePosition

log = logging.getLogger(__name__)

type FeedKind = Literal["home", "profile"]
type CachedPage = list[TimelinePosition] | Literal["missing", "older"]
# A feed: its kind and its owner.
type Feed = tuple[FeedKind, str]

COMPLETE = ""
TRIMMED = "#"
BUILDING = "!"
# Entries are sort keys, which begin with a year: every marker sorts before "0".
FIRST_ENTRY = "[0"
MARKERS_END = "(0"

# KEYS: feeds; ARGV[1]: the cap; ARGV[i + 1]: the entry for KEYS[i] (a feed may repeat).
# Markers are counted only when the feed may be over the cap (one call less per feed).
_ADD = """
local cap = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', key, 0, ARGV[i + 1])
    local size = redis.call('ZCARD', key)
    local markers = 0
    if size > cap then
      markers = redis.call('ZLEXCOUNT', key, '-', '(0')
    end
    local excess = size - markers - cap
    if excess > 0 then
      redis.call('ZREMRANGEBYRANK', key, markers, markers + excess - 1)
      redis.call('ZADD', key, 0, '#')
    end
  end
end
"""

# KEYS[1]: the feed; ARGV[1]: the rebuild's mark; ARGV[2]: "#" or ""; ARGV[3..]: its entries.
_COMPLETE = """
local key = KEYS[1]
if not redis.call('ZSCORE', key, ARGV[1]) then
  return 0
end
redis.call('ZREM', key, ARGV[1])
redis.call('ZADD', key, 0, '')
if ARGV[2] ~= '' then
  redis.call('ZADD', key, 0, ARGV[2])
end
for i = 3, #ARGV do
  redis.call('ZADD', key, 0, ARGV[i])
end
return 1
"""


class FeedCache:
    def __init__(self, redis: RedisClient, prefix: str, cap: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}feed:"
        self.cap = cap
        self._add = redis.register_script(_ADD)
        self._complete = redis.register_script(_COMPLETE)
        # A write was lost: no use until every feed is deleted (see the module's docstring).
        self._health = CacheHealth(redis, self._prefix)

    def key(self, kind: FeedKind, owner_id: str) -> str:
        return f"{self._prefix}{kind}:{owner_id}"

    async def usable(self) -> bool:
        """False while Redis is down or since a write was lost and not yet cleared up."""
        return await self._health.usable()

    # -- writes (after MongoDB's) -------------------------------------------------------

    async def add(self, kind: FeedKind, entries: Iterable[tuple[str, TimelinePosition]]) -> None:
        """Add (owner, position) entries to those owners' feeds that exist."""
        pairs = list(entries)
        if not pairs or not await self.usable():
            return
        try:
            await self._add(
                keys=[self.key(kind, owner) for owner, _ in pairs],
                args=[self.cap, *(position.sort_key for _, position in pairs)],
            )
        except REDIS_DOWN as exc:
            self._health.lost(exc)

    async def invalidate(self, kind: FeedKind, owner_ids: Iterable[str]) -> None:
        await self._health.invalidate([self.key(kind, owner) for owner in owner_ids])

    # -- reads ------------------------------------------------------------------------

    async def pages(
        self, feeds: Sequence[Feed], after: TimelinePosition | None, limit: int
    ) -> list[CachedPage] | None:
        """Up to `limit` positions after `after` from each feed, in one round trip; None when
        Redis cannot be used.

        A feed is `missing` (not built or being rebuilt: rebuild it) or `older` (the page goes
        past what was trimmed: read MongoDB) instead of a page.
        """
        read = await self.pages_read(feeds, after, limit)
        if read is None:
            return None
        pipe: Pipeline = self._redis.pipeline(transaction=False)
        read.queue(pipe)
        try:
            read.take(await pipe.execute())
        except REDIS_DOWN as exc:
            log.warning(
                "feeds read from MongoDB: Redis does not answer", extra={"error": repr(exc)}
            )
            return None
        return [read.found[feed] for feed in feeds]

    async def pages_read(
        self, feeds: Sequence[Feed], after: TimelinePosition | None, limit: int
    ) -> "FeedPagesRead | None":
        """`pages`, as a read to send in another's round trip; None when Redis cannot be used."""
        if not feeds or not await self.usable():
            return None
        return FeedPagesRead(self, tuple(feeds), after, limit)

    # -- rebuilds ---------------------------------------------------------------------

    async def start_rebuild(self, kind: FeedKind, owner_id: str) -> str | None:
        """Mark the feed as being rebuilt (before MongoDB is read); returns the mark."""
        if not await self.usable():
            return None
        mark = f"{BUILDING}{secrets.token_hex(8)}"
        try:
            await self._redis.zadd(self.key(kind, owner_id), {mark: 0})
        except REDIS_DOWN as exc:
            log.warning("a feed could not be rebuilt", extra={"error": repr(exc)})
            return None
        return mark

    async def complete_rebuild(
        self, kind: FeedKind, owner_id: str, mark: str, newest: Sequence[TimelinePosition]
    ) -> None:
        """Store the feed's entries read from MongoDB, newest first: up to `cap + 1`, the
        extra one only telling that older entries exist."""
        trimmed = TRIMMED if len(newest) > self.cap else ""
        try:
            await self._complete(
                keys=[self.key(kind, owner_id)],
                args=[mark, trimmed, *(p.sort_key for p in newest[: self.cap])],
            )
        except REDIS_DOWN as exc:
            self._health.lost(exc)

    async def clear(self) -> int:
        """Delete every feed (they are rebuilt on their next read)."""
        return await self._health.clear()

    async def clear_when_reachable(self) -> None:
        """Delete every feed now or, Redis away, before this process next uses one."""
        try:
            await self.clear()
        except REDIS_DOWN as exc:
            self._health.lost(exc)


class FeedPagesRead:
    """Pages of some feeds (see `FeedCache.pages`); `found` once its replies came (in any round
    trip: `shared.read_cache.read_sets` sends it with the reader's sets)."""

    def __init__(
        self, cache: FeedCache, feeds: tuple[Feed, ...], after: TimelinePosition | None, limit: int
    ) -> None:
        self._cache = cache
        self.feeds = feeds
        self.after = after
        self.limit = limit
        self.found: dict[Feed, CachedPage] = {}

    def queue(self, pipe: Pipeline) -> int:
        newest = f"({self.after.sort_key}" if self.after else "+"
        for kind, owner in self.feeds:
            key = self._cache.key(kind, owner)
            pipe.zrangebylex(key, "-", MARKERS_END)
            pipe.zrevrangebylex(key, newest, FIRST_ENTRY, start=0, num=self.limit)
        return 2 * len(self.feeds)

    def take(self, replies: Sequence[Any]) -> None:
        answers = zip(replies[::2], replies[1::2], strict=True)
        for feed, (markers, members) in zip(self.feeds, answers, strict=True):
            if COMPLETE not in markers:
                self.found[feed] = "missing"
            elif len(members) < self.limit and TRIMMED in markers:
                self.found[feed] = "older"
            else:
                self.found[feed] = [from_sort_key(member) for member in members]


def from_sort_key(member: str) -> TimelinePosition:
    """The position a sort key stands for (its time is stored to the millisecond)."""
    moment, _, post_id = member.partition("|")
    return TimelinePosition(datetime.fromisoformat(moment).replace(tzinfo=UTC), post_id)
