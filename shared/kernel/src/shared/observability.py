"""Request ids, Prometheus metrics, and the health endpoints every process answers."""

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from uuid import uuid4

from fastapi import APIRouter, Request, Response
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.identity import REQUEST_ID_HEADER
from shared.lifecycle import Lifecycle
from shared.logging import correlation_id_var, request_id_var
from shared.problems import problem_response
from shared.tracing import exemplar, untraced

HTTP_REQUESTS = Counter(
    "copost_http_requests_total", "HTTP requests served", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "copost_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OPEN_STREAMS = Gauge("copost_open_streams", "Live event streams open", ["service"])
READY = Gauge(
    "copost_ready", "1 if the last readiness probe found every dependency answering", ["service"]
)
# Counted here, not derived from the gauge: a flap between two scrapes still shows.
READINESS_CHANGES = Counter(
    "copost_readiness_changes_total", "Times the readiness probe's answer changed", ["service"]
)
# Measured when scraped, not kept up to date all the time: a bound on each.
METRICS_REFRESH_TIMEOUT_SECONDS = 2.0
# A readiness probe answers within this whatever a dependency does: a check still running
# then counts as failing (and goes on, for the next probe).
READINESS_CHECK_TIMEOUT_SECONDS = 1.0

log = logging.getLogger(__name__)
access_log = logging.getLogger("copost.access")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

type ReadinessCheck = Callable[[], Awaitable[bool]]
# Sets gauges that are read from elsewhere (the database, the broker) just before a scrape.
type MetricsRefresher = Callable[[], Awaitable[None]]


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

        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self._app(scope, receive, send_with_request_id)
        except Exception:
            # Answered here rather than re-raised: a server that re-raises closes the
            # connection, and the gateway's next request on that pooled connection would fail.
            log.exception("unhandled error", extra={"path": scope.get("path")})
            if not response_started:
                await _send_internal_error(send_with_request_id)
        finally:
            route = str(getattr(scope.get("route"), "path", "unmatched"))
            method = scope["method"]
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(self._service_name, method, route, str(status)).inc()
            HTTP_LATENCY.labels(self._service_name, method, route).observe(
                elapsed, exemplar=exemplar()
            )
            # The access log: the route template, never the query string (it may hold a token).
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={"status": status, "duration_ms": round(elapsed * 1000, 1)},
            )
            request_id_var.reset(request_token)
            correlation_id_var.reset(correlation_token)


async def _send_internal_error(send: Send) -> None:
    response = problem_response(500, "Something went wrong on our side.")
    await send({"type": "http.response.start", "status": 500, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def _request_id_from(scope: Scope) -> str:
    wanted = REQUEST_ID_HEADER.lower().encode()
    for name, value in scope.get("headers", []):
        if name == wanted:
            candidate = bytes(value).decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
    return uuid4().hex


def health_router(
    readiness_checks: Mapping[str, ReadinessCheck],
    *,
    degraded_checks: Mapping[str, ReadinessCheck] | None = None,
    service_name: str = "",
    metrics_refreshers: Sequence[MetricsRefresher] = (),
    lifecycle: Lifecycle | None = None,
) -> APIRouter:
    """`/healthz`: the process is alive. `/readyz`: every dependency answers (those of
    `degraded_checks` are named under `degraded` when down, but the process serves without
    them, so it stays ready), and the process is not stopping. `/metrics`, in OpenMetrics (with
    exemplars: trace ids) when the scraper asks for it, else Prometheus text. The probes never
    wait on a dependency longer than READINESS_CHECK_TIMEOUT_SECONDS."""
    router = APIRouter(include_in_schema=False)
    last_ready: list[bool] = []
    checks = {name: _SharedCheck(check) for name, check in readiness_checks.items()}
    optional_checks = {name: _SharedCheck(check) for name, check in (degraded_checks or {}).items()}

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", response_model=None)
    async def readyz() -> Response | dict[str, object]:
        stopping = lifecycle is not None and lifecycle.stopping
        results: dict[str, bool] = {}
        optional: dict[str, bool] = {}
        if not stopping:
            required_outcomes, optional_outcomes = await asyncio.gather(
                asyncio.gather(*(check.result() for check in checks.values())),
                asyncio.gather(*(check.result() for check in optional_checks.values())),
            )
            results = dict(zip(checks, required_outcomes, strict=True))
            optional = dict(zip(optional_checks, optional_outcomes, strict=True))
        ready = not stopping and all(results.values())
        READY.labels(service_name).set(1 if ready else 0)
        if last_ready and last_ready[0] != ready:
            READINESS_CHANGES.labels(service_name).inc()
        last_ready[:] = [ready]
        if ready:
            body: dict[str, object] = {"status": "ready", "checks": results | optional}
            if degraded := [name for name, ok in optional.items() if not ok]:
                body["degraded"] = degraded
            return body
        if stopping:
            return problem_response(503, "Not ready: shutting down.")
        failing = ", ".join(name for name, ok in results.items() if not ok)
        return problem_response(503, f"Not ready: {failing} unreachable.")

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        for refresh in metrics_refreshers:
            await _refresh(refresh)
        encode, media_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(REGISTRY), media_type=media_type)

    return router


class _SharedCheck:
    """A readiness check run once for the probes that arrive while it runs, bounded for each:
    probes never pile up on a dependency that does not answer."""

    def __init__(self, check: ReadinessCheck) -> None:
        self._check = check
        self._running: asyncio.Task[bool] | None = None

    async def result(self) -> bool:
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._run())
        try:
            async with asyncio.timeout(READINESS_CHECK_TIMEOUT_SECONDS):
                return await asyncio.shield(self._running)
        except TimeoutError:
            return False

    async def _run(self) -> bool:
        try:
            with untraced():
                return bool(await self._check())
        except Exception:
            return False


async def _refresh(refresh: MetricsRefresher) -> None:
    """A dependency that does not answer leaves its gauges as they were; /metrics still answers."""
    try:
        with untraced():
            async with asyncio.timeout(METRICS_REFRESH_TIMEOUT_SECONDS):
                await refresh()
    except Exception as exc:
        log.warning("a metric could not be measured", extra={"error": repr(exc)})
