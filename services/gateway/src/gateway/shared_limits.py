"""Live-stream slots kept in Redis, so they hold across gateway replicas (its rate limits are
`shared.rate_limits.SharedRateLimiter`).

Stream slots are leases in sorted sets, one set per scope (every
stream, one account's, one address's): a slot is taken in all three at once, or in none;
each gateway renews its own open slots' leases, so the slots of a gateway that died free
themselves within a lease.

Redis down: each replica falls back to its own counts (the in-memory limiter and slots), so a
refusal is never caused by Redis, only its fairness across replicas is lost for that time.
"""

import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from gateway.auth import RevokedUsers
from shared.periodic import PeriodicTask
from shared.redis_store import REDIS_DOWN, RedisClient

log = logging.getLogger(__name__)

# How long the revocation listener waits for a notice at a time, and before reconnecting.
LISTEN_RETRY_SECONDS = 1.0

# KEYS: every stream's, the account's, the address's set; ARGV: the slot, lease ms, the three
# caps. Returns 0 (taken) or the 1-based index of the scope that is full.
_TAKE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then return i end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2]) * 2)
end
return 0
"""

# KEYS: the sets of one slot; ARGV: the slot, lease ms. Renews it where it still is.
_RENEW_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2]) * 2)
end
"""


type StreamScope = Literal["all", "account", "address"]
SCOPES: tuple[StreamScope, ...] = ("all", "account", "address")


@dataclass(frozen=True)
class StreamCaps:
    """Open streams at most: in all, per account, per client address (IPv6: per /64)."""

    total: int
    per_account: int
    per_address: int

    def of(self, scope: StreamScope) -> int:
        return {"all": self.total, "account": self.per_account, "address": self.per_address}[scope]


@dataclass(frozen=True)
class StreamSlot:
    slot_id: str
    owners: tuple[str, str, str]  # every stream's key, the account's, the address's
    shared: bool  # taken in Redis (else in this replica's own counts)


@dataclass
class _LocalSlots:
    counts: dict[str, int] = field(default_factory=dict)

    def take(self, owners: tuple[str, ...], caps: tuple[int, ...]) -> int:
        for index, (owner, cap) in enumerate(zip(owners, caps, strict=True), start=1):
            if self.counts.get(owner, 0) >= cap:
                return index
        for owner in owners:
            self.counts[owner] = self.counts.get(owner, 0) + 1
        return 0

    def give_back(self, owners: tuple[str, ...]) -> None:
        for owner in owners:
            left = self.counts.get(owner, 0) - 1
            if left > 0:
                self.counts[owner] = left
            else:
                self.counts.pop(owner, None)


class StreamSlots:
    """Who holds the live streams: taken before a stream is forwarded, given back after."""

    def __init__(
        self,
        caps: StreamCaps,
        *,
        redis: RedisClient | None,
        key_prefix: str,
        lease_seconds: float = 60.0,
    ) -> None:
        self.caps = caps
        self._redis = redis
        self._prefix = f"{key_prefix}streams:"
        self._lease_ms = round(lease_seconds * 1000)
        self._take = redis.register_script(_TAKE_SLOT) if redis is not None else None
        self._renew = redis.register_script(_RENEW_SLOT) if redis is not None else None
        self._local = _LocalSlots()
        self._open: dict[str, StreamSlot] = {}
        self.renewer = PeriodicTask(
            "stream-slot-leases", self.renew_leases, interval_seconds=lease_seconds / 3
        )

    @property
    def taken(self) -> int:
        """Streams open through this replica."""
        return len(self._open)

    async def take(self, account: str, address: str) -> StreamSlot | StreamScope:
        """A slot, or the scope that is full."""
        owners = (
            f"{self._prefix}all",
            f"{self._prefix}account:{account}",
            f"{self._prefix}address:{address}",
        )
        caps = tuple(self.caps.of(scope) for scope in SCOPES)
        slot_id = secrets.token_hex(8)
        full: int | None = None
        shared = False
        if self._take is not None:
            try:
                full = int(
                    await self._take(keys=list(owners), args=[slot_id, self._lease_ms, *caps])
                )
                shared = True
            except REDIS_DOWN as exc:
                log.warning(
                    "stream slots counted by this replica alone", extra={"error": repr(exc)}
                )
        if full is None:
            full = self._local.take(owners, caps)
        if full:
            return SCOPES[full - 1]
        slot = StreamSlot(slot_id, owners, shared)
        self._open[slot_id] = slot
        return slot

    async def give_back(self, slot: StreamSlot) -> None:
        if self._open.pop(slot.slot_id, None) is None:
            return
        if not slot.shared:
            self._local.give_back(slot.owners)
            return
        assert self._redis is not None
        try:
            pipe = self._redis.pipeline(transaction=False)
            for owner in slot.owners:
                pipe.zrem(owner, slot.slot_id)
            await pipe.execute()
        except REDIS_DOWN as exc:  # its lease runs out instead
            log.warning("a stream slot is left to its lease", extra={"error": repr(exc)})

    async def renew_leases(self) -> None:
        if self._renew is None:
            return
        for slot in [slot for slot in self._open.values() if slot.shared]:
            try:
                await self._renew(keys=list(slot.owners), args=[slot.slot_id, self._lease_ms])
            except REDIS_DOWN as exc:
                log.warning("stream slot leases not renewed", extra={"error": repr(exc)})
                return


class SharedRevocations:
    """Revocation notices through Redis: the gateway that served an account's deletion tells
    every other one at once (they would otherwise learn it at their next poll of the users
    service). Kept in a sorted set too, until no token of the account can be alive, so a
    gateway that (re)connects reads the notices it missed."""

    def __init__(
        self,
        revoked: RevokedUsers,
        *,
        redis: RedisClient | None,
        key_prefix: str,
        retention_seconds: float,
    ) -> None:
        self.revoked = revoked
        self._redis = redis
        self._key = f"{key_prefix}revoked"
        self._retention_seconds = retention_seconds
        self.listener = PeriodicTask(
            "revocation-notices", self._listen, interval_seconds=LISTEN_RETRY_SECONDS
        )

    async def revoke(self, user_ids: Sequence[str]) -> None:
        self.revoked.add(user_ids)
        if self._redis is None or not user_ids:
            return
        now = time.time()
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.zadd(self._key, dict.fromkeys(user_ids, now + self._retention_seconds))
            pipe.zremrangebyscore(self._key, "-inf", now)
            pipe.publish(self._key, ",".join(user_ids))
            await pipe.execute()
        except REDIS_DOWN as exc:  # the others learn it at their next poll
            log.warning("revocation not shared", extra={"error": repr(exc)})

    async def _listen(self) -> None:
        """Until Redis goes away: then the periodic task calls it again, a moment later."""
        if self._redis is None:
            return
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._key)
            noticed = await self._redis.zrangebyscore(self._key, time.time(), "+inf")
            self.revoked.add(str(user_id) for user_id in noticed)
            while True:
                message = await pubsub.get_message(timeout=LISTEN_RETRY_SECONDS)
                if message is not None and message["type"] == "message":
                    self.revoked.add(str(message["data"]).split(","))
        finally:
            await pubsub.aclose()
