"""Limiting every request by client address (the buckets are `shared.rate_limits`'), and which
address a request comes from."""

from collections.abc import Callable, Sequence
from typing import Protocol

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.domain import IpNetwork, address_key, client_address, is_proxied
from shared.problems import TooManyRequests, problem_response_for


class AddressLimiter(Protocol):
    async def check(self, key: str) -> None: ...


# Probes and scrapes come often from the same address and must never be refused.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


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

    The requests the public API middleware forwards are counted there instead, first thing, in
    the same round trip to Redis as their caller's own limits when the caller is known without
    any signature work (`gateway.api.count_request`).

    `limiter_of(app)` is the running app's limiter: it is composed at start-up, after the
    middleware is declared.
    """

    def __init__(self, app: ASGIApp, limiter_of: Callable[[Starlette], AddressLimiter]) -> None:
        self._app = app
        self._limiter_of = limiter_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in UNLIMITED_PATHS
            or is_proxied(scope["method"], scope["path"])
        ):
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
