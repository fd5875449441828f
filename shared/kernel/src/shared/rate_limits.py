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
from collections.abc import Callable
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


# KEYS[1]: the bucket; ARGV: milliseconds per request, burst. Returns 0, or the wait in ms.
_GCRA = """
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local wait = next_tat - tolerance - now
if wait > 0 then return wait end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(next_tat - now) + 1000)
return 0
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
        if wait := await self.retry_after(key):
            raise too_many(self._scope_name, wait)

    async def retry_after(self, key: str) -> int:
        """Spend one request of `key`'s allowance: 0, or (nothing spent) the whole seconds until
        there is one."""
        if self._gcra is None:
            return self._local.retry_after(key)
        interval_ms = 60_000 / self._policy.per_minute
        try:
            wait_ms = await self._gcra(
                keys=[self._prefix + key], args=[interval_ms, self._policy.burst]
            )
        except REDIS_DOWN as exc:
            log.warning("rate limit counted by this replica alone", extra={"error": repr(exc)})
            return self._local.retry_after(key)
        return max(1, -(-int(float(wait_ms)) // 1000)) if float(wait_ms) > 0 else 0


def too_many(scope_name: str, retry_after_seconds: int) -> TooManyRequests:
    return TooManyRequests(
        f"Too many requests for this {scope_name}; retry later.",
        retry_after_seconds=retry_after_seconds,
    )
