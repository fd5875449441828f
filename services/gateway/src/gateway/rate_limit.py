"""In-memory rate limits: one token bucket per user id and one per client IP address."""

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.domain import BucketPolicy, TokenBucket, is_full, take_token
from shared.problems import TooManyRequests, problem_response

type Clock = Callable[[], float]

# Probes and scrapes come often from the same address and must never be refused.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


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


class ClientIpRateLimitMiddleware:
    """Limits every request by client address, before any routing or authentication work."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self._app = app
        self._limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self._app(scope, receive, send)
            return
        client = scope.get("client")
        try:
            self._limiter.check(client[0] if client else "unknown")
        except TooManyRequests as exc:
            response = problem_response(exc.status, exc.detail, slug=exc.slug, headers=exc.headers)
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)
