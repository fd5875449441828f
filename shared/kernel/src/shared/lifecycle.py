"""How a process stops on SIGTERM (or Ctrl-C): within `shutdown_grace_seconds`, whatever the
broker, the database or the other services do (docs/operations.md, "Stopping").

From the signal on:
1. readiness answers 503 ("shutting down"), liveness still 200, and the port keeps listening,
   so probes go on answering while the process drains;
2. the drain steps run, each bounded: the consumers stop taking messages (whatever they hold
   unacknowledged goes back to the broker when the connection closes);
3. event streams end at once (their clients reconnect elsewhere); other requests in flight
   get until the cut, `CUT_RESERVE` before the deadline, to finish; at the cut they are
   answered 503 (or their started response is ended) and their work is cancelled;
4. uvicorn's own shutdown: the listener closes, then the lifespan's exit, each of whose steps
   (`bounded`, `exits_within`) gets at most `STEP_SECONDS` of what is left;
5. a watchdog thread ends the process with `WATCHDOG_EXIT_CODE` if it still runs at the deadline.

A signal during start-up cancels the start-up (uvicorn then exits with its code 3). A clean
stop ends as uvicorn's does: the process re-raises the signal (exit status -15 for SIGTERM).
"""

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

import uvicorn
from prometheus_client import Gauge
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import problem_response

log = logging.getLogger(__name__)

WATCHDOG_EXIT_CODE = 124
# Kept before the deadline for what follows the cut: closing the listener, the lifespan's exit.
CUT_RESERVE = 3.0
# The most one step of the exit may take, so that a hung one leaves time to the next.
STEP_SECONDS = 1.0
# Kept before the watchdog's deadline, so a clean stop never races it.
WATCHDOG_MARGIN = 0.3
# Requests that are not waited for: they answer at once and must go on answering to the end.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_SIGNALS = (signal.SIGTERM, signal.SIGINT)

REQUESTS_IN_FLIGHT = Gauge(
    "copost_http_requests_in_flight",
    "Requests being served (probes and metrics left out): what a stop waits for",
    ["service"],
)


@dataclass(eq=False)
class _Request:
    task: asyncio.Task[Any] | None
    started: bool = False
    complete: bool = False
    streaming: bool = False
    cut: bool = False


class Lifecycle:
    """One per app: when it began to stop, what drains first, the requests in flight."""

    def __init__(self, grace_seconds: float, *, service_name: str = "") -> None:
        self.grace_seconds = grace_seconds
        self._in_flight = REQUESTS_IN_FLIGHT.labels(service_name)
        self._stopping_at: float | None = None
        self._drain_steps: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._requests: set[_Request] = set()
        self._request_ended: asyncio.Event | None = None
        self._startup: asyncio.Task[Any] | None = None
        self._started = False
        self._server: uvicorn.Server | None = None
        self._signal = signal.SIGTERM
        self._drain: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping_at is not None

    def on_drain(self, what: str, step: Callable[[], Awaitable[None]]) -> None:
        """Run `step` (bounded) as soon as the process begins to stop, before requests drain."""
        self._drain_steps.append((what, step))

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """Around a lifespan: take over uvicorn's stop signals while it runs (a no-op outside
        uvicorn's signal handling, as in tests serving an app in process)."""
        self._loop = asyncio.get_running_loop()
        self._startup = asyncio.current_task()
        self._request_ended = asyncio.Event()
        replaced = self._hook_signals()
        try:
            yield
        finally:
            for sig, handler in replaced.items():
                signal.signal(sig, handler)

    def started(self) -> None:
        """The lifespan's start-up is over: a stop signal now drains instead of cancelling it."""
        self._started = True

    def step_seconds(self) -> float:
        """The time one step of the stop may take now."""
        if self._stopping_at is None:
            return STEP_SECONDS
        left = self._stopping_at + self.grace_seconds - WATCHDOG_MARGIN - time.monotonic()
        return max(0.0, min(STEP_SECONDS, left))

    async def bounded(self, what: str, step: Callable[[], Awaitable[Any]]) -> None:
        """Run one step of the stop; one that fails or overruns is logged and left behind."""
        budget = self.step_seconds()
        try:
            async with asyncio.timeout(budget):
                await step()
        except TimeoutError:
            log.warning("stopping: %s took more than %.1fs; left behind", what, budget)
        except Exception as exc:
            log.warning("stopping: %s failed; left behind", what, extra={"error": repr(exc)})

    @asynccontextmanager
    async def exits_within[T](
        self, what: str, context: AbstractAsyncContextManager[T]
    ) -> AsyncIterator[T]:
        """Enter `context` as usual; bound its exit like any step of the stop."""
        value = await context.__aenter__()
        try:
            yield value
        except BaseException as exc:
            error = exc
            await self.bounded(
                what, lambda: context.__aexit__(type(error), error, error.__traceback__)
            )
            raise
        await self.bounded(what, lambda: context.__aexit__(None, None, None))

    def begin(self) -> None:
        """Begin to stop (the signal handler's work; idempotent)."""
        if self._stopping_at is not None:
            return
        self._stopping_at = time.monotonic()
        _start_watchdog(self._stopping_at + self.grace_seconds)
        if self._loop is not None:
            # A signal handler may run anywhere between two bytecodes: the rest runs in the loop.
            self._loop.call_soon_threadsafe(self._stop)

    def _stop(self) -> None:
        log.info("stopping", extra={"grace_seconds": self.grace_seconds})
        if self._started:
            self._drain = asyncio.create_task(self._drain_then_exit(), name="drain")
            return
        if self._startup is not None:
            self._startup.cancel()
        self._exit_server()

    async def _drain_then_exit(self) -> None:
        assert self._stopping_at is not None
        for what, step in self._drain_steps:
            await self.bounded(what, step)
        self._cut(lambda request: request.streaming)
        cut_at = self._stopping_at + self.grace_seconds - min(CUT_RESERVE, self.grace_seconds / 2)
        ended = self._request_ended
        assert ended is not None
        while any(not r.streaming for r in self._requests) and time.monotonic() < cut_at:
            ended.clear()
            try:
                async with asyncio.timeout(cut_at - time.monotonic()):
                    await ended.wait()
            except TimeoutError:
                break
        if self._requests:
            log.warning("stopping: %d requests cut", len(self._requests))
        self._cut(lambda _: True)
        self._exit_server()

    def _cut(self, which: Callable[[_Request], bool]) -> None:
        for request in list(self._requests):
            if which(request) and not request.cut and request.task is not None:
                request.cut = True
                request.task.cancel()

    def _exit_server(self) -> None:
        server = self._server
        if server is None:
            return
        # What arrives between the cut and the listener's close is not waited for long either.
        server.config.timeout_graceful_shutdown = max(1, int(self.step_seconds()))
        server.handle_exit(self._signal, None)

    def _hook_signals(self) -> dict[int, Any]:
        """Replace uvicorn's handlers of the stop signals by ours (which calls it in the end)."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        current = signal.getsignal(signal.SIGTERM)
        server = getattr(current, "__self__", None)
        if not isinstance(server, uvicorn.Server):
            return {}
        self._server = server
        replaced: dict[int, Any] = {sig: signal.getsignal(sig) for sig in _SIGNALS}
        for sig in _SIGNALS:
            signal.signal(sig, self._on_signal)
        return replaced

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self._stopping_at is not None and self._server is not None:
            # A second signal: uvicorn's own handling (a second Ctrl-C forces its exit).
            self._server.handle_exit(sig, frame)
            return
        self._signal = signal.Signals(sig)
        self.begin()

    def _track(self) -> _Request:
        request = _Request(asyncio.current_task())
        self._requests.add(request)
        self._in_flight.set(len(self._requests))
        return request

    def _untrack(self, request: _Request) -> None:
        self._requests.discard(request)
        self._in_flight.set(len(self._requests))
        if self._request_ended is not None:
            self._request_ended.set()


class DrainMiddleware:
    """Outermost: tracks the requests in flight for the stop, and answers those it cuts."""

    def __init__(self, app: ASGIApp, lifecycle: Lifecycle) -> None:
        self._app = app
        self._lifecycle = lifecycle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self._app(scope, receive, send)
            return
        request = self._lifecycle._track()

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                request.started = True
                request.streaming = _is_event_stream(message)
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                request.complete = True
            await send(message)

        try:
            await self._app(scope, receive, watched)
        except asyncio.CancelledError:
            if not request.cut or request.task is None:
                raise
            request.task.uncancel()
            await _answer_cut(request, send)
        finally:
            self._lifecycle._untrack(request)


def _is_event_stream(message: Message) -> bool:
    for name, value in message.get("headers", []):
        if bytes(name).lower() == b"content-type":
            return bytes(value).startswith(b"text/event-stream")
    return False


async def _answer_cut(request: _Request, send: Send) -> None:
    if not request.started:
        response = problem_response(503, "The service is stopping; try again.")
        headers = [*response.raw_headers, (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
    elif not request.complete:
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _start_watchdog(deadline: float) -> None:
    def watch() -> None:
        time.sleep(max(0.0, deadline - time.monotonic()))
        log.error("still stopping at the deadline: exiting now")
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(WATCHDOG_EXIT_CODE)

    threading.Thread(target=watch, name="shutdown-watchdog", daemon=True).start()
