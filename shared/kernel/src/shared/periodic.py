"""Background work that repeats: every interval, or at once when woken; never dies of a failure."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Protocol

from prometheus_client import Counter, Gauge

from shared.tracing import untraced

log = logging.getLogger(__name__)

# A task whose last success grows old is stuck (alerted on: deploy/monitoring/alerts.yaml).
LAST_SUCCESS = Gauge(
    "copost_periodic_task_last_success_timestamp_seconds",
    "When the background task last finished a pass without failing (Unix time)",
    ["task"],
)
FAILURES = Counter("copost_periodic_task_failures_total", "Failed background passes", ["task"])


class BackgroundTask:
    """A coroutine run beside a service's requests, from `start()` until `stop()` cancels it."""

    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class PeriodicTask:
    """Runs `work` every `interval_seconds` in a background task, and right away after `wake()`.

    A failed pass is logged and retried at the next one, so a database or broker outage
    slows the work down without stopping it.
    """

    def __init__(
        self, name: str, work: Callable[[], Awaitable[None]], *, interval_seconds: float
    ) -> None:
        self._name = name
        self._work = work
        self._interval_seconds = interval_seconds
        self._wake = asyncio.Event()
        self._task = BackgroundTask(name, self._repeat)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()

    async def _repeat(self) -> None:
        while True:
            try:
                with untraced():
                    await self._work()
            except Exception:
                FAILURES.labels(self._name).inc()
                log.warning("%s failed; retrying at the next pass", self._name, exc_info=True)
            else:
                LAST_SUCCESS.labels(self._name).set_to_current_time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval_seconds)
            self._wake.clear()


class BackgroundWork(Protocol):
    """Anything a service runs beside its requests and events: started, then stopped."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


@asynccontextmanager
async def running(*work: BackgroundWork) -> AsyncIterator[None]:
    """Run background work for the length of a block (a composition root's), in this order;
    stopped in the reverse order on the way out, whatever ends the block."""
    started: list[BackgroundWork] = []
    try:
        for each in work:
            each.start()
            started.append(each)
        yield
    finally:
        for each in reversed(started):
            await each.stop()
