"""`make run` (deploy/local/run.py) as an operator uses it: two stacks side by side on the one
broker, each under its own names; a stop removes exactly what its stack made; a runner killed
outright leaves no process and no port behind (issues 20 and 31).
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import httpx
from stack import PORT_SPAN, REPO_ROOT, LocalStack, find_free_base_port, port_is_free

from shared.services import BACKENDS
from shared.testing import process_runs, wait_until

RUN_PY = REPO_ROOT / "deploy" / "local" / "run.py"
# Two stacks of 16 processes each start on a small machine: generous, but bounded.
READY_SECONDS = 400.0
# A stop: every child within its grace (10 s), then the broker's clean-up.
STOP_SECONDS = 60.0


@dataclass
class Runner:
    """One `make run`: its process, its name on the broker, its ports."""

    popen: subprocess.Popen[bytes]
    name: str
    base_port: int
    data_dir: Path
    # Seen clean on the broker: nothing for the clean-up after the test.
    clean: bool = False

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.base_port}"

    @property
    def ports(self) -> list[int]:
        return [self.base_port + offset for offset in range(PORT_SPAN)]

    def descendants(self) -> set[int]:
        """Its children and theirs (the database servers are the embedded MongoDB's)."""
        found: set[int] = set()
        parents = [self.popen.pid]
        while parents:
            with contextlib.suppress(OSError):  # a process that just ended has no children
                for task in Path(f"/proc/{parents.pop()}/task").iterdir():
                    children = {int(pid) for pid in (task / "children").read_text().split()}
                    found |= children
                    parents += children
        return found

    def output(self) -> str:
        return (self.data_dir / "run.out").read_text(errors="replace")[-4000:]

    def leftovers(self) -> LocalStack:
        """The same stack's names, to clean what a killed runner left on the broker."""
        return LocalStack(
            self.data_dir,
            base_port=self.base_port,
            amqp_namespace=f"{self.name}.",
            broker_user_prefix=f"copost-{self.name}-",
        )


def start_runner(tmp_path: Path, name: str, base_port: int) -> Runner:
    data_dir = tmp_path / name
    data_dir.mkdir()
    env = {**os.environ, "PORT": str(base_port), "DATA_DIR": str(data_dir), "STACK": name}
    for inherited in ("AMQP_NAMESPACE", "AMQP_USER_PREFIX", "MONGO_URL"):
        env.pop(inherited, None)
    with (data_dir / "run.out").open("wb") as out:
        popen = subprocess.Popen(  # noqa: S603 -- this interpreter, the repository's script
            [sys.executable, str(RUN_PY)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Runner(popen, name, base_port, data_dir)


async def wait_up(runner: Runner) -> None:
    async def up() -> bool:
        if runner.popen.poll() is not None:
            raise AssertionError(f"run.py exited ({runner.popen.returncode}):\n{runner.output()}")
        return "CoPost is up at" in runner.output()

    await wait_until(up, timeout=READY_SECONDS, interval=0.5)


async def sign_up_and_post(gateway: str) -> None:
    handle = f"s_{uuid4().hex[:10]}"
    password = "correct horse battery staple"
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        created = await client.post(
            "/v1/users", json={"handle": handle, "password": password, "display_name": "S"}
        )
        assert created.status_code == 201, created.text
        token = await client.post("/v1/auth/token", json={"handle": handle, "password": password})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        posted = await client.post("/v1/posts", json={"text": "hello"}, headers=headers)
        assert posted.status_code == 201, posted.text


def on_broker(name: str) -> dict[str, list[str]]:
    """The queues, exchanges and users of stack `name` on the broker."""

    def listed(*command: str) -> list[str]:
        result = subprocess.run(  # noqa: S603 -- the broker's CLI, fixed arguments
            ["rabbitmqctl", "-q", *command, "--formatter", "json"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return [str(next(iter(row.values()))) for row in json.loads(result.stdout)]

    commands = {
        "queues": (("list_queues", "name"), f"{name}."),
        "exchanges": (("list_exchanges", "name"), f"{name}."),
        "users": (("list_users",), f"copost-{name}-"),
    }
    # At once: each rabbitmqctl call costs seconds.
    with ThreadPoolExecutor(len(commands)) as pool:
        found = {kind: pool.submit(listed, *command) for kind, (command, _) in commands.items()}
        return {
            kind: [each for each in found[kind].result() if each.startswith(prefix)]
            for kind, (_, prefix) in commands.items()
        }


NOTHING: dict[str, list[str]] = {"queues": [], "exchanges": [], "users": []}


@asynccontextmanager
async def two_stacks(tmp_path: Path) -> AsyncIterator[tuple[Runner, Runner]]:
    suffix = uuid4().hex[:6]
    first_port = find_free_base_port()
    second_port = find_free_base_port()
    while abs(second_port - first_port) < PORT_SPAN:
        second_port = find_free_base_port()
    runners = (
        start_runner(tmp_path, f"t{suffix}a", first_port),
        start_runner(tmp_path, f"t{suffix}b", second_port),
    )
    try:
        yield runners
    finally:
        for runner in runners:
            if runner.popen.poll() is None:
                runner.popen.kill()
            runner.popen.wait(STOP_SECONDS)
            if not runner.clean:
                runner.leftovers().clean_broker()


async def test_two_stacks_share_the_broker_and_each_leaves_nothing_behind(tmp_path: Path) -> None:
    async with two_stacks(tmp_path) as (first, second):
        await asyncio.gather(wait_up(first), wait_up(second))
        await asyncio.gather(sign_up_and_post(first.gateway), sign_up_and_post(second.gateway))
        assert on_broker(first.name)["users"]
        assert on_broker(second.name)["queues"]

        # A stop (Ctrl-C, SIGTERM) removes its own stack's queues, exchanges and users only.
        second.popen.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(second.popen.wait, STOP_SECONDS)
        assert code == 0, second.output()
        assert on_broker(second.name) == NOTHING
        second.clean = True
        assert all(port_is_free(port) for port in second.ports)
        await sign_up_and_post(first.gateway)

        # Killed outright: every child (and theirs) follows it, and frees its port.
        children = first.descendants()
        assert len(children) >= 7 + len(BACKENDS)
        first.popen.kill()
        await asyncio.to_thread(first.popen.wait, STOP_SECONDS)
        await wait_until(lambda: not any(process_runs(pid) for pid in children), timeout=20)
        await wait_until(lambda: all(port_is_free(port) for port in first.ports), timeout=5)

        # What it left on the broker goes with a clean-up, as often as asked.
        leftovers = first.leftovers()
        assert await asyncio.to_thread(leftovers.clean_broker) == []
        assert await asyncio.to_thread(leftovers.clean_broker) == []
        assert on_broker(first.name) == NOTHING
        first.clean = True
