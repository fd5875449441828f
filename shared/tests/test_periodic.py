"""Background work: it runs at once when woken, and a failing pass does not end it."""

from shared.periodic import PeriodicTask
from shared.testing import wait_until

NEVER_BY_ITSELF = 3600.0


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


async def test_a_failing_pass_is_retried_at_the_next_one() -> None:
    attempts = 0

    async def flaky() -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("database away")

    task = PeriodicTask("test", flaky, interval_seconds=0.01)
    task.start()
    try:
        await wait_until(lambda: attempts >= 2)
    finally:
        await task.stop()
