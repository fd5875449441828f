"""In-memory rate limits: token buckets per user id, per client address, and per address for
sign-ins; and which address a request comes from."""

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.domain import (
    BucketPolicy,
    IpNetwork,
    TokenBucket,
    address_key,
    client_address,
    is_full,
    take_token,
)
from shared.problems import TooManyRequests, problem_response_for

type Clock = Callable[[], float]


class AddressLimiter(Protocol):
    async def check(self, key: str) -> None: ...


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


class ClientAddressMiddleware:
    """Sets the request's client address: X-Forwarded-For is believed only from TRUSTED_PROXIES.

    Run with uvicorn's own proxy-header handling off (`--no-proxy-headers`), so the peer it
    sees is the connection's.
    """

    def __init__(self, app: ASGIApp, trusted: Sequence[IpNetwork]) -> None:
        self._app = app
        self._trusted = list(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # No trusted proxy (the default): the peer is the address, as the server set it.
        if self._trusted and scope["type"] == "http" and (client := scope.get("client")):
            forwarded = [
                bytes(value).decode("latin-1")
                for name, value in scope.get("headers", [])
                if name == b"x-forwarded-for"
            ]
            address = client_address(client[0], forwarded, self._trusted)
            # In place: a copy would hide the matched route from the middleware around this one.
            scope["client"] = (address, client[1])
        await self._app(scope, receive, send)


class ClientIpRateLimitMiddleware:
    """Limits every request by client address, before any routing or authentication work.

    `limiter_of(app)` is the running app's limiter: it is composed at start-up, after the
    middleware is declared.
    """

    def __init__(self, app: ASGIApp, limiter_of: Callable[[Starlette], AddressLimiter]) -> None:
        self._app = app
        self._limiter_of = limiter_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self._app(scope, receive, send)
            return
        client = scope.get("client")
        try:
            await self._limiter_of(scope["app"]).check(
                address_key(client[0] if client else "unknown")
            )
        except TooManyRequests as exc:
            response = problem_response_for(exc)
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)
