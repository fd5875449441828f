"""Request ids, Prometheus metrics, and the health endpoints every process answers."""

import re
import time
from collections.abc import Awaitable, Callable, Mapping
from uuid import uuid4

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.identity import REQUEST_ID_HEADER
from shared.logging import correlation_id_var, request_id_var
from shared.problems import problem_response

HTTP_REQUESTS = Counter(
    "copost_http_requests_total", "HTTP requests served", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "copost_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

type ReadinessCheck = Callable[[], Awaitable[bool]]


class RequestContextMiddleware:
    """Gives every request an id (the caller's if well-formed), logs it, echoes it, times it."""

    def __init__(self, app: ASGIApp, service_name: str) -> None:
        self._app = app
        self._service_name = service_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = _request_id_from(scope)
        request_token = request_id_var.set(request_id)
        correlation_token = correlation_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self._app(scope, receive, send_with_request_id)
        finally:
            route = str(getattr(scope.get("route"), "path", "unmatched"))
            method = scope["method"]
            HTTP_REQUESTS.labels(self._service_name, method, route, str(status)).inc()
            HTTP_LATENCY.labels(self._service_name, method, route).observe(
                time.perf_counter() - started
            )
            request_id_var.reset(request_token)
            correlation_id_var.reset(correlation_token)


def _request_id_from(scope: Scope) -> str:
    wanted = REQUEST_ID_HEADER.lower().encode()
    for name, value in scope.get("headers", []):
        if name == wanted:
            candidate = bytes(value).decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
    return uuid4().hex


def health_router(readiness_checks: Mapping[str, ReadinessCheck]) -> APIRouter:
    """`/healthz`: the process is alive. `/readyz`: every dependency answers. `/metrics`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", response_model=None)
    async def readyz() -> Response | dict[str, object]:
        results = {name: await check() for name, check in readiness_checks.items()}
        if all(results.values()):
            return {"status": "ready", "checks": results}
        failing = ", ".join(name for name, ok in results.items() if not ok)
        return problem_response(503, f"Not ready: {failing} unreachable.")

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
