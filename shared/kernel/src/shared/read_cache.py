"""Reads of MongoDB kept in Redis: values by id (`CachedValues`) and sets by owner
(`CachedSets`). MongoDB stays the source; Redis holds what a read of it answered.

Writers never put data in Redis: after their MongoDB write they delete the keys it changed
(`invalidate`). A read that misses fills the key from MongoDB, guarded so that a fill never
stores something older than a write it raced with: the reader first puts a mark in the key
(`!<token>`), then reads MongoDB, and stores what it read only if its mark is still there. A
write that lands after the read deletes the key after its own MongoDB write, so it deletes the
mark too and the stale fill is dropped; a write that landed before the read is in what was
read. Event order never matters: whatever reaches MongoDB, Redis only ever holds a copy read
after it. Entries expire after `ttl_seconds` (memory stays bounded by what is read).

Redis down: reads go to MongoDB. An invalidation that fails may leave a stale copy, so the
process stops using the cache and, once Redis answers again, deletes every key of the cache
before it uses it again: nothing is queued, and nothing stale is served.
"""

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

from shared.redis_store import REDIS_DOWN, RedisClient, delete_keys

log = logging.getLogger(__name__)

RECOVERY_PAUSE_SECONDS = 1.0
# A fill's mark outlives any MongoDB read; a reader that died leaves it to expire.
MARK_TTL_MS = 30_000
MARK = "!"
# A value read as absent (a deleted user, a post not published) is kept too, so a page that
# names it does not ask MongoDB again.
ABSENT = "-"
PRESENT = "="
# In a set: the marker that it is complete (members are ids, never empty).
COMPLETE = ""
# Values decoded from what Redis held, by what it held: a warm read decodes nothing.
DECODED_KEPT = 4096

# KEYS: the keys; ARGV[1]: a mark; ARGV[2]: its TTL (ms). Each key's value, and a mark put
# in each key that has none.
_GET_OR_MARK = """
local found = {}
for i, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  if not value then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
  end
  found[i] = value
end
return found
"""

# KEYS: the keys; ARGV[1]: the mark; ARGV[2]: TTL (s); ARGV[i + 2]: the value for KEYS[i].
_FILL_VALUES = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('SET', key, ARGV[i + 2], 'EX', ARGV[2])
  end
end
"""

# KEYS: sets; ARGV[1]: a mark; ARGV[2]: its TTL (ms). A complete set's members, or false
# after a mark was put in a set that had none (a set being filled keeps its marks).
_MEMBERS_OR_MARK = """
local found = {}
for i, key in ipairs(KEYS) do
  if redis.call('SISMEMBER', key, '') == 1 then
    found[i] = redis.call('SMEMBERS', key)
  else
    if redis.call('EXISTS', key) == 0 then
      redis.call('SADD', key, ARGV[1])
      redis.call('PEXPIRE', key, ARGV[2])
    end
    found[i] = false
  end
end
return found
"""

# KEYS[1]: the set; ARGV[1]: the mark; ARGV[2]: TTL (s); ARGV[3..]: its members.
_FILL_SET = """
local key = KEYS[1]
if redis.call('SISMEMBER', key, ARGV[1]) == 0 then
  return 0
end
redis.call('DEL', key)
redis.call('SADD', key, '')
for i = 3, #ARGV do
  redis.call('SADD', key, ARGV[i])
end
redis.call('EXPIRE', key, ARGV[2])
return 1
"""

type Loader[T] = Callable[[list[str]], Awaitable[dict[str, T]]]


class CacheHealth:
    """Whether the cache under one prefix may be used (see the module's docstring): after a
    write or deletion that did not reach Redis, not until every key under the prefix is gone.
    Every Redis copy of MongoDB's data (these read caches, the timeline's feeds) keeps one."""

    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._stale = False
        self._recovering = asyncio.Lock()
        # While Redis stays away, it is tried again at most this often (not at every read).
        self._next_attempt = 0.0

    async def usable(self) -> bool:
        if not self._stale:
            return True
        if time.monotonic() < self._next_attempt:
            return False
        async with self._recovering:
            if self._stale:
                try:
                    dropped = await delete_keys(self.redis, f"{self.prefix}*")
                except REDIS_DOWN:
                    self._next_attempt = time.monotonic() + RECOVERY_PAUSE_SECONDS
                    return False
                log.warning(
                    "Redis copies cleared after lost writes",
                    extra={"prefix": self.prefix, "keys": dropped},
                )
                self._stale = False
        return True

    def lost(self, exc: BaseException) -> None:
        """A write or deletion did not reach Redis: the copies may be stale from now on."""
        log.warning(
            "a change did not reach Redis", extra={"prefix": self.prefix, "error": repr(exc)}
        )
        self._stale = True

    async def invalidate(self, keys: list[str]) -> None:
        if not keys or not await self.usable():
            return
        try:
            await self.redis.unlink(*keys)
        except REDIS_DOWN as exc:
            self.lost(exc)

    async def clear(self) -> int:
        return await delete_keys(self.redis, f"{self.prefix}*")


def _down(exc: BaseException) -> None:
    log.warning("read from MongoDB: Redis does not answer", extra={"error": repr(exc)})


class CachedValues[T]:
    """Values by id (`{prefix}{id}`), each the JSON `encode` makes of what `load` read."""

    def __init__(
        self,
        redis: RedisClient,
        prefix: str,
        ttl_seconds: int,
        encode: Callable[[T], str],
        decode: Callable[[str], T],
    ) -> None:
        self._health = CacheHealth(redis, prefix)
        self._get_or_mark = redis.register_script(_GET_OR_MARK)
        self._fill = redis.register_script(_FILL_VALUES)
        self._ttl = ttl_seconds
        self._encode, self._decode = encode, decode
        self._decoded: dict[str, T] = {}

    def _key(self, value_id: str) -> str:
        return f"{self._health.prefix}{value_id}"

    def _decoded_once(self, stored: str) -> T:
        """One object per stored value while it is kept: decoding was most of a warm read's
        work, and callers may keep what they made of an object by its identity (a changed
        value is stored anew, so it is a new object)."""
        value = self._decoded.get(stored)
        if value is None:
            if len(self._decoded) >= DECODED_KEPT:
                self._decoded.clear()
            value = self._decoded[stored] = self._decode(stored[len(PRESENT) :])
        return value

    async def get_many(self, ids: Iterable[str], load: Loader[T]) -> dict[str, T]:
        """The values of these ids (those `load` does not find are left out): from Redis,
        those it lacks from `load` (one call for all of them), then kept in Redis."""
        [found] = await _read_values([ValuesRead(self, list(ids), load)])
        return found

    def _found(self, wanted: list[str], stored: list[str | None]) -> tuple[dict[str, T], list[str]]:
        """What Redis held for these ids, and the ids it lacked (or is filling)."""
        found: dict[str, T] = {}
        missing: list[str] = []
        for value_id, value in zip(wanted, stored, strict=True):
            if value is None or value.startswith(MARK):
                missing.append(value_id)
            elif value.startswith(PRESENT):
                found[value_id] = self._decoded_once(value)
        return found, missing

    async def _store(self, mark: str, ids: list[str], loaded: Mapping[str, T]) -> None:
        values = [f"{PRESENT}{self._encode(loaded[i])}" if i in loaded else ABSENT for i in ids]
        try:
            await self._fill(keys=[self._key(i) for i in ids], args=[mark, self._ttl, *values])
        except REDIS_DOWN as exc:
            _down(exc)  # the marks expire

    async def invalidate(self, ids: Iterable[str]) -> None:
        """After a MongoDB write that changed these values."""
        await self._health.invalidate([self._key(i) for i in ids])

    async def clear(self) -> int:
        """Delete every value (each is read again from MongoDB when next asked for)."""
        return await self._health.clear()


@dataclass(frozen=True, slots=True)
class ValuesRead[T]:
    """Some ids' values: from `cache` when it holds them, else from `load` (MongoDB).
    `peeked`: what a `peek` at some of them found, not asked for again."""

    cache: CachedValues[T] | None
    ids: Sequence[str]
    load: Loader[T]
    peeked: "ValuesPeek | None" = None


class ValuesPeek:
    """What Redis holds for some ids of a cache, read in another read's round trip (a plain
    read: no mark is put, so an id it misses is read as usual, by `read_values_together`)."""

    def __init__(self, cache: CachedValues[Any], ids: Sequence[str]) -> None:
        self.cache = cache
        self.ids = list(dict.fromkeys(ids))
        self.stored: dict[str, str] = {}

    def queue(self, pipe: Pipeline) -> int:
        if not self.ids:
            return 0
        pipe.mget([self.cache._key(value_id) for value_id in self.ids])
        return 1

    def take(self, replies: Sequence[Any]) -> None:
        if self.ids:
            [values] = replies
            self.stored = {
                value_id: value
                for value_id, value in zip(self.ids, values, strict=True)
                if value is not None and not value.startswith(MARK)
            }


async def peek(read: ValuesRead[Any]) -> ValuesPeek | None:
    """A peek at the values of `read`'s ids, to send in another's round trip (`read_sets`'
    `alongside`), then to give the read of the same cache as its `peeked`; None without a
    usable cache."""
    if read.cache is None or not read.ids or not await read.cache._health.usable():
        return None
    return ValuesPeek(read.cache, read.ids)


async def read_values_together[A, B](
    first: ValuesRead[A], second: ValuesRead[B]
) -> tuple[dict[str, A], dict[str, B]]:
    """Both reads' values; what Redis holds of both in one round trip (the caches share the
    process's client; none when their `peeked` found them all), the rest from their `load`,
    then kept in Redis."""
    found_first, found_second = await _read_values([first, second])
    return found_first, found_second


def _peeked(read: ValuesRead[Any]) -> dict[str, str]:
    """What the read's peek found of its ids."""
    peeked = read.peeked
    if peeked is None or peeked.cache is not read.cache:
        return {}
    return {value_id: peeked.stored[value_id] for value_id in read.ids if value_id in peeked.stored}


async def _read_values(reads: Sequence[ValuesRead[Any]]) -> list[dict[str, Any]]:
    peeked = [_peeked(read) for read in reads]
    wanted = [
        [value_id for value_id in dict.fromkeys(read.ids) if value_id not in seen]
        for read, seen in zip(reads, peeked, strict=True)
    ]
    cached = {
        index: read.cache
        for index, read in enumerate(reads)
        if read.cache is not None and wanted[index] and await read.cache._health.usable()
    }
    stored: dict[int, list[str | None]] = {}
    mark = f"{MARK}{secrets.token_hex(8)}"
    if cached:
        keys = [cache._key(value_id) for i, cache in cached.items() for value_id in wanted[i]]
        # Every CachedValues registers the same script: any of them runs it for all the keys.
        script = next(iter(cached.values()))._get_or_mark
        try:
            replies = iter(await script(keys=keys, args=[mark, MARK_TTL_MS]))
            stored = {i: [next(replies) for _ in wanted[i]] for i in cached}
        except REDIS_DOWN as exc:
            _down(exc)
    results: list[dict[str, Any]] = []
    for index, read in enumerate(reads):
        seen = peeked[index]
        found = read.cache._found(list(seen), list(seen.values()))[0] if read.cache else {}
        if not wanted[index]:
            pass
        elif index not in stored or read.cache is None:
            found.update(await read.load(wanted[index]))
        else:
            stored_found, missing = read.cache._found(wanted[index], stored[index])
            found.update(stored_found)
            if missing:
                loaded = await read.load(missing)
                found.update(loaded)
                await read.cache._store(mark, missing, loaded)
        results.append(found)
    return results


class CachedSets:
    """Sets of ids by owner (`{prefix}{owner}`), each what a `SetRead`'s `load` read for it."""

    def __init__(self, redis: RedisClient, prefix: str, ttl_seconds: int) -> None:
        self._health = CacheHealth(redis, prefix)
        self.redis = redis
        self._members_or_mark = redis.register_script(_MEMBERS_OR_MARK)
        self._fill = redis.register_script(_FILL_SET)
        self._ttl = ttl_seconds

    def _key(self, owner_id: str) -> str:
        return f"{self._health.prefix}{owner_id}"

    async def members(self, owner_id: str, load: Callable[[str], Awaitable[set[str]]]) -> set[str]:
        """One owner's set: from Redis; if it lacks it, from `load`."""
        [found] = await read_sets([SetRead(self, owner_id, load)])
        return found

    async def usable(self) -> bool:
        return await self._health.usable()

    def queue_read(self, pipe: Pipeline, owner_id: str, mark: str) -> None:
        pipe.evalsha(self._members_or_mark.sha, 1, self._key(owner_id), mark, MARK_TTL_MS)

    async def load_scripts(self) -> None:
        await self.redis.script_load(_MEMBERS_OR_MARK)

    async def store(self, owner_id: str, mark: str, members: set[str]) -> None:
        """What `load` read for a set whose read put `mark` in it (dropped if it is gone)."""
        try:
            await self._fill(keys=[self._key(owner_id)], args=[mark, self._ttl, *members])
        except REDIS_DOWN as exc:
            _down(exc)

    async def invalidate(self, owner_ids: Iterable[str]) -> None:
        """After a MongoDB write that changed these owners' sets."""
        await self._health.invalidate([self._key(o) for o in owner_ids])

    async def clear(self) -> int:
        return await self._health.clear()


@dataclass(frozen=True, slots=True)
class SetRead:
    """One owner's set: from `cache` when it holds it, else from `load` (MongoDB)."""

    cache: CachedSets | None
    owner_id: str
    load: Callable[[str], Awaitable[set[str]]]


class PipelinedRead(Protocol):
    """A read of Redis that rides in the round trip of `read_sets` (same client)."""

    def queue(self, pipe: Pipeline) -> int:
        """Queue its commands; how many."""

    def take(self, replies: Sequence[Any]) -> None:
        """Keep what its commands answered (only called when they were sent and answered)."""


async def read_sets(
    reads: Sequence[SetRead], alongside: Sequence[PipelinedRead] = ()
) -> list[set[str]]:
    """Each read's set; those Redis holds in one pipelined round trip (the caches share the
    process's client), the others from their `load`, then kept in Redis. `alongside`: other
    reads sent in that round trip, when there is one (else they are never sent)."""
    cached = [read for read in reads if read.cache is not None and await read.cache.usable()]
    replies: dict[int, list[str] | None] = {}
    mark = f"{MARK}{secrets.token_hex(8)}"
    if cached:
        try:
            found = await _members_or_mark(cached, mark, alongside)
            replies = dict(zip(map(id, cached), found, strict=True))
        except REDIS_DOWN as exc:
            _down(exc)
            cached = []
    sets: list[set[str]] = []
    for read in reads:
        members = replies.get(id(read))
        if members is not None:
            sets.append({member for member in members if member != COMPLETE})
            continue
        loaded = await read.load(read.owner_id)
        if read.cache is not None and any(read is c for c in cached):
            await read.cache.store(read.owner_id, mark, loaded)
        sets.append(loaded)
    return sets


async def _members_or_mark(
    reads: Sequence[SetRead], mark: str, alongside: Sequence[PipelinedRead]
) -> list[list[str] | None]:
    first = reads[0].cache
    assert first is not None
    for attempt in range(2):
        pipe: Pipeline = first.redis.pipeline(transaction=False)
        for read in reads:
            assert read.cache is not None
            read.cache.queue_read(pipe, read.owner_id, mark)
        counts = [other.queue(pipe) for other in alongside]
        try:
            replies = await pipe.execute()
            start = len(reads)
            for other, count in zip(alongside, counts, strict=True):
                other.take(replies[start : start + count])
                start += count
            # Each script answers a list: the one key's members, or None.
            return [reply[0] for reply in replies[: len(reads)]]
        except NoScriptError:
            # Redis restarted or flushed its scripts: load them, then read again once.
            if attempt:
                raise
            await first.load_scripts()
    raise AssertionError("unreachable")
