"""Background work: it runs at once when woken, and a failing pass does not end it."""

import time

import pytest
from prometheus_client import REGISTRY

from shared.periodic import PeriodicTask, running
from shared.testing import wait_until

NEVER_BY_ITSELF = 3600.0
SUCCESS = "copost_periodic_task_last_success_timestamp_seconds"


async def test_a_wake_runs_the_work_without_waiting_for_the_interval() -> None:
    passes = 0

    async def work() -> None:
        nonlocal passes
        passes += 1

    task = PeriodicTask("test", work, interval_seconds=NEVER_BY_ITSELF)
    task.start()
    try:
        await wait_until(lambda: passes == 1)  # the first pass runs on start
        task.wake()
        await wait_until(lambda: passes == 2, timeout=2)
    finally:
        await task.stop()


class FailsOnce:
    """Work whose first pass fails, as when the database is away for a moment."""

    def __init__(self) -> None:
        self.attempts = 0

    async def __call__(self) -> None:
        self.attempts += 1
        if self.attempts == 1:
            raise RuntimeError("database away")


async def test_a_failing_pass_is_retried_at_the_next_one() -> None:
    flaky = FailsOnce()
    task = PeriodicTask("test", flaky, interval_seconds=0.01)
    task.start()
    try:
        await wait_until(lambda: flaky.attempts >= 2)
    finally:
        await task.stop()


async def test_failures_are_counted_and_the_last_success_is_stamped() -> None:
    flaky = FailsOnce()
    before = time.time()
    task = PeriodicTask("metrics-test", flaky, interval_seconds=NEVER_BY_ITSELF)
    task.start()
    try:
        await wait_until(lambda: flaky.attempts == 1)
        labels = {"task": "metrics-test"}
        await wait_until(
            lambda: REGISTRY.get_sample_value("copost_periodic_task_failures_total", labels) == 1
        )
        assert REGISTRY.get_sample_value(SUCCESS, labels) in (None, 0)
        task.wake()
        stamped = await wait_until(lambda: REGISTRY.get_sample_value(SUCCESS, labels))
        assert stamped >= before
    finally:
        await task.stop()


class Recorded:
    """Background work that writes down when it starts and stops."""

    def __init__(self, name: str, log: list[str], *, fails_to_start: bool = False) -> None:
        self._name, self._log, self._fails = name, log, fails_to_start

    def start(self) -> None:
        if self._fails:
            raise RuntimeError(f"{self._name} cannot start")
        self._log.append(f"start {self._name}")

    async def stop(self) -> None:
        self._log.append(f"stop {self._name}")


async def test_running_starts_in_order_and_stops_in_reverse() -> None:
    log: list[str] = []
    async with running(Recorded("a", log), Recorded("b", log)):
        log.append("block")
    assert log == ["start a", "start b", "block", "stop b", "stop a"]


async def test_running_stops_what_started_when_a_later_start_fails() -> None:
    log: list[str] = []
    with pytest.raises(RuntimeError, match="b cannot start"):
        async with running(Recorded("a", log), Recorded("b", log, fails_to_start=True)):
            log.append("block")
    assert log == ["start a", "stop a"]
