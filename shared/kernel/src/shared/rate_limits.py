"""Token-bucket rate limits by key (a user, an address, a remote host): counted by one process
(`RateLimiter`), or across replicas in Redis (`SharedRateLimiter`, falling back to the
process's own counts while Redis is down).

In Redis the limits are GCRA (the token bucket's equivalent that needs one number per key: the
moment the bucket is full again), decided by a Lua script on Redis's own clock, so replicas
with different clocks agree. Redis down: each replica counts alone, so a refusal is never
caused by Redis, only its fairness across replicas is lost for that time."""

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.problems import TooManyRequests
from shared.redis_store import REDIS_DOWN, RedisClient

log = logging.getLogger(__name__)

type Clock = Callable[[], float]


@dataclass(frozen=True)
class BucketPolicy:
    """A token bucket: `burst` requests at once, refilled at `per_minute` requests a minute."""

    per_minute: float
    burst: int

    @property
    def refill_per_second(self) -> float:
        return self.per_minute / 60.0


@dataclass(frozen=True)
class TokenBucket:
    tokens: float
    updated_at: float


@dataclass(frozen=True)
class BucketDecision:
    bucket: TokenBucket
    allowed: bool
    # Whole seconds until a token is available again; 0 when allowed.
    retry_after_seconds: int


def full_bucket(policy: BucketPolicy, now: float) -> TokenBucket:
    return TokenBucket(tokens=float(policy.burst), updated_at=now)


def refilled(bucket: TokenBucket, policy: BucketPolicy, now: float) -> TokenBucket:
    elapsed = max(0.0, now - bucket.updated_at)
    tokens = min(float(policy.burst), bucket.tokens + elapsed * policy.refill_per_second)
    return TokenBucket(tokens=tokens, updated_at=max(now, bucket.updated_at))


def take_token(bucket: TokenBucket | None, policy: BucketPolicy, now: float) -> BucketDecision:
    """Spend one token if there is one; otherwise say how long until there is."""
    current = refilled(bucket, policy, now) if bucket else full_bucket(policy, now)
    if current.tokens >= 1.0:
        spent = TokenBucket(tokens=current.tokens - 1.0, updated_at=current.updated_at)
        return BucketDecision(bucket=spent, allowed=True, retry_after_seconds=0)
    wait_seconds = (1.0 - current.tokens) / policy.refill_per_second
    retry_after = max(1, math.ceil(wait_seconds))
    return BucketDecision(bucket=current, allowed=False, retry_after_seconds=retry_after)


def is_full(bucket: TokenBucket, policy: BucketPolicy, now: float) -> bool:
    """A full bucket is the same as no bucket at all, so it may be forgotten."""
    return refilled(bucket, policy, now).tokens >= policy.burst


class RateLimiter:
    """Token buckets by key; full buckets are forgotten when the table grows large."""

    def __init__(
        self,
        policy: BucketPolicy,
        *,
        scope_name: str,
        max_keys: int = 100_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self._policy = policy
        self._scope_name = scope_name
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, key: str) -> None:
        """Spend one request of `key`'s allowance, or raise 429 with Retry-After."""
        if wait := self.retry_after(key):
            raise too_many(self._scope_name, wait)

    def retry_after(self, key: str) -> int:
        """Spend one request of `key`'s allowance: 0, or (nothing spent) the whole seconds until
        there is one."""
        now = self._clock()
        decision = take_token(self._buckets.get(key), self._policy, now)
        self._buckets[key] = decision.bucket
        if len(self._buckets) > self._max_keys:
            self._forget_full_buckets(now)
        return decision.retry_after_seconds

    def _forget_full_buckets(self, now: float) -> None:
        self._buckets = {
            key: bucket
            for key, bucket in self._buckets.items()
            if not is_full(bucket, self._policy, now)
        }


# KEYS: buckets, in the order they are counted; ARGV[2i - 1], ARGV[2i]: KEYS[i]'s milliseconds
# per request and burst. Each bucket in turn spends one request; the first with none left stops
# the count (it and those after it spend nothing). Returns {0, 0}, or {its index, the wait in ms}.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = interval * tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local next_tat = tat + interval
  local wait = next_tat - tolerance - now
  if wait > 0 then return {i, math.ceil(wait)} end
  redis.call('SET', key, next_tat, 'PX', math.ceil(next_tat - now) + 1000)
end
return {0, 0}
"""


class SharedRateLimiter:
    """`RateLimiter`, with its counts in Redis when there is one; its own while Redis is down."""

    def __init__(
        self,
        policy: BucketPolicy,
        *,
        scope_name: str,
        redis: RedisClient | None,
        key_prefix: str,
    ) -> None:
        self._local = RateLimiter(policy, scope_name=scope_name)
        self._policy = policy
        self._scope_name = scope_name
        self._redis = redis
        self._prefix = f"{key_prefix}limit:{scope_name.replace(' ', '-')}:"
        self._gcra = redis.register_script(_GCRA) if redis is not None else None

    async def check(self, key: str) -> None:
        """Spend one request of `key`'s allowance, or raise 429 with Retry-After."""
        await check_in_order([(self, key)])

    async def retry_after(self, key: str) -> int:
        """Spend one request of `key`'s allowance: 0, or (nothing spent) the whole seconds until
        there is one."""
        _, wait = await _count_in_order([(self, key)])
        return wait


async def check_in_order(checks: Sequence[tuple[SharedRateLimiter, str]]) -> None:
    """Spend one request of each (limiter, key) allowance in turn, as calling each one's `check`
    in turn would: the first with none left raises 429 (it and those after it spend nothing).
    One round trip to Redis for all of them (the limiters share the process's client)."""
    refused, wait = await _count_in_order(checks)
    if refused is not None:
        raise too_many(refused._scope_name, wait)


async def _count_in_order(
    checks: Sequence[tuple[SharedRateLimiter, str]],
) -> tuple[SharedRateLimiter | None, int]:
    """The limiter that refused (None: all spent) and the whole seconds to wait for it."""
    first = checks[0][0]._gcra
    if first is not None and all(limiter._gcra is not None for limiter, _ in checks):
        args: list[float] = []
        for limiter, _ in checks:
            args += [60_000 / limiter._policy.per_minute, limiter._policy.burst]
        try:
            index, wait_ms = await first(
                keys=[limiter._prefix + key for limiter, key in checks], args=args
            )
        except REDIS_DOWN as exc:
            log.warning("rate limit counted by this replica alone", extra={"error": repr(exc)})
        else:
            if int(index) == 0:
                return None, 0
            return checks[int(index) - 1][0], max(1, -(-int(wait_ms) // 1000))
    for limiter, key in checks:
        if wait := limiter._local.retry_after(key):
            return limiter, wait
    return None, 0


def too_many(scope_name: str, retry_after_seconds: int) -> TooManyRequests:
    return TooManyRequests(
        f"Too many requests for this {scope_name}; retry later.",
        retry_after_seconds=retry_after_seconds,
    )
