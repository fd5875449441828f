"""The local stack restarts a process that died, with capped exponential backoff, and says so."""

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from stack import LocalStack, RestartPolicy, StackError, StackProcess, find_free_base_port

from shared.testing import wait_until

SLEEPS = [sys.executable, "-c", "import time; time.sleep(120)"]
FAILS = [sys.executable, "-c", "raise SystemExit(3)"]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    started = LocalStack(
        tmp_path,
        base_port=find_free_base_port(),
        restart_policy=RestartPolicy(first_delay=0.1, max_delay=0.4, give_up_after=4),
        stop_timeout=2.0,
    )
    (tmp_path / "logs").mkdir()
    yield started
    started.stop()


def spawn(stack: LocalStack, name: str, command: list[str]) -> StackProcess:
    return stack._spawn(name, stack.base_port, command, dict(os.environ))


def test_the_backoff_doubles_from_the_first_delay_up_to_the_cap() -> None:
    policy = RestartPolicy(first_delay=1.0, max_delay=30.0)

    assert [policy.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


async def test_a_killed_process_is_restarted_after_its_backoff_and_the_stack_says_so(
    stack: LocalStack,
) -> None:
    process = spawn(stack, "timeline", SLEEPS)
    first_pid = process.popen.pid
    os.kill(first_pid, signal.SIGKILL)
    notes: list[str] = []

    def restarted() -> bool:
        notes.extend(stack.supervise())
        return process.is_running() and process.popen.pid != first_pid

    await wait_until(restarted, timeout=5.0)
    assert notes == [
        "timeline exited (code -9); restarting in 0.1s",
        f"timeline restarted (pid {process.popen.pid})",
    ]
    assert "--- restarting timeline ---" in process.log_path.read_text()


async def test_each_restart_in_a_row_waits_longer(stack: LocalStack) -> None:
    spawn(stack, "notifications", FAILS)
    notes: list[str] = []

    def three_exits() -> bool:
        notes.extend(note for note in stack.supervise() if "exited" in note)
        return len(notes) == 3

    await wait_until(three_exits, timeout=5.0)
    assert [note.rsplit(" ", 1)[1] for note in notes] == ["0.1s", "0.2s", "0.4s"]


async def test_a_crash_looping_process_makes_the_stack_give_up_with_its_log(
    stack: LocalStack,
) -> None:
    spawn(stack, "posts", FAILS)

    def supervise_until_it_gives_up() -> str | None:
        try:
            stack.supervise()
        except StackError as error:
            return str(error)
        return None

    message = await wait_until(supervise_until_it_gives_up, timeout=10.0)
    assert message.startswith("posts exited (code 3) again after 4 restarts in a row")
    assert "--- starting posts" in message


async def test_a_process_that_stayed_up_long_enough_starts_its_backoff_afresh(
    tmp_path: Path,
) -> None:
    stack = LocalStack(
        tmp_path,
        base_port=find_free_base_port(),
        restart_policy=RestartPolicy(first_delay=0.05, stable_after=0.0, give_up_after=1),
    )
    (tmp_path / "logs").mkdir()
    spawn(stack, "users", FAILS)
    notes: list[str] = []

    def five_exits() -> bool:
        notes.extend(note for note in stack.supervise() if "exited" in note)
        return len(notes) == 5

    try:
        await wait_until(five_exits, timeout=5.0)
    finally:
        stack.stop()
    assert {note.rsplit(" ", 1)[1] for note in notes} == {"0.05s"}
