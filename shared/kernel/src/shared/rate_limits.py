"""Token-bucket rate limits counted by one process: the buckets, and a limiter of them by key
(a user, an address, a remote host). The gateway counts in Redis on top of it, across replicas."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from shared.problems import TooManyRequests

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
        now = self._clock()
        decision = take_token(self._buckets.get(key), self._policy, now)
        self._buckets[key] = decision.bucket
        if len(self._buckets) > self._max_keys:
            self._forget_full_buckets(now)
        if not decision.allowed:
            raise TooManyRequests(
                f"Too many requests for this {self._scope_name}; retry later.",
                retry_after_seconds=decision.retry_after_seconds,
            )

    def _forget_full_buckets(self, now: float) -> None:
        self._buckets = {
            key: bucket
            for key, bucket in self._buckets.items()
            if not is_full(bucket, self._policy, now)
        }
