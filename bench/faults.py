"""Faults a soak injects, behind one small interface: the local stack's processes now, the
container stage's containers later (kill/restart a container, disconnect it from a network).

A `FaultInjector` names its targets (process or container names) and the kinds of fault it
can cause; `inject` causes one and returns once the fault is in effect; `recovered` waits
until the target serves again (ready); `stats` measures each target (memory, connections).
`LocalProcessFaults` drives deploy/local/stack.py's processes, restarted by the stack's own
supervision as `make run` restarts them. RabbitMQ is never stopped here: the machine's broker
is shared (`broker-stop` is left to an injector that owns its broker).
"""

import asyncio
import contextlib
import http.client
import os
import random
import signal
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from stack import LocalStack, RestartPolicy, StackError

# The kinds of fault. `kill`: SIGKILL, the supervisor restarts it. `term`: SIGTERM (a graceful
# stop within SHUTDOWN_GRACE_SECONDS), the supervisor restarts it. `rolling`: `term` for each
# target in turn, the next once the previous is ready again (a rolling update). `restart-db`:
# the database process stopped and started (SIGTERM). `broker-stop`, `partition`: for
# injectors that own a broker node or a network.
KILL, TERM, ROLLING, RESTART_DB, BROKER_STOP, PARTITION = (
    "kill",
    "term",
    "rolling",
    "restart-db",
    "broker-stop",
    "partition",
)
DATABASE = "mongo"
SUPERVISE_SECONDS = 0.2
# Back up soon after a fault, and count a process stable again after a short while: a soak
# kills the same process several times, which is not a crash loop.
SOAK_RESTARTS = RestartPolicy(first_delay=0.5, max_delay=5.0, stable_after=10.0, give_up_after=8)


@dataclass(frozen=True)
class ProcessStats:
    pid: int
    rss_mib: float
    connections: int


class FaultInjector(Protocol):
    def targets(self) -> list[str]:
        """What faults may hit (service, gateway and database names)."""
        ...

    def supports(self, kind: str) -> bool: ...

    async def inject(self, kind: str, target: str) -> None:
        """Cause the fault; return once it is in effect (the target is down)."""
        ...

    async def recovered(self, target: str, within: float) -> None:
        """Return once the target serves again; raise TimeoutError after `within` seconds."""
        ...

    def stats(self) -> dict[str, ProcessStats]: ...


def process_stats(pid: int) -> ProcessStats:
    """Resident memory and open sockets (TCP connections and listeners) of a process."""
    rss_kib = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kib = int(line.split()[1])
    sockets = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                sockets += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return ProcessStats(pid, rss_kib / 1024, sockets)


class LocalProcessFaults:
    """Faults on a running LocalStack; supervises it (restarts what dies) while in use."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.notes: list[str] = []
        self._supervisor: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def supervising(self) -> AsyncIterator["LocalProcessFaults"]:
        self.stack.restart_policy = SOAK_RESTARTS

        async def supervise() -> None:
            while True:
                self.notes.extend(self.stack.supervise())
                await asyncio.sleep(SUPERVISE_SECONDS)

        self._supervisor = asyncio.create_task(supervise())
        try:
            yield self
        finally:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor

    def targets(self) -> list[str]:
        return [process.name for process in self.stack.processes]

    def supports(self, kind: str) -> bool:
        if kind == RESTART_DB:
            return self.stack.embedded_mongo
        return kind in (KILL, TERM, ROLLING)

    async def inject(self, kind: str, target: str) -> None:
        if kind == ROLLING:
            for name in self.stack.running_services:
                await self._stop(name, signal.SIGTERM)
                await self.recovered(name, within=120.0)
            return
        if kind == RESTART_DB:
            target = DATABASE
        if not self.supports(kind):
            raise StackError(f"this stack cannot {kind}")
        await self._stop(target, signal.SIGKILL if kind == KILL else signal.SIGTERM)

    async def recovered(self, target: str, within: float) -> None:
        # The database, a rolling restart or "all": every service must serve again.
        running = self.stack.running_services
        names = [target] if target in running else running
        deadline = time.monotonic() + within
        while not all([await asyncio.to_thread(self._ready, name) for name in names]):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{target} not serving again within {within}s")
            await asyncio.sleep(0.2)

    def stats(self) -> dict[str, ProcessStats]:
        found = {}
        for process in self.stack.processes:
            with contextlib.suppress(OSError):
                found[process.name] = process_stats(process.popen.pid)
        return found

    def random_target(self, rng: random.Random, *, consumers_only: bool = False) -> str:
        names = self.stack.running_services
        if consumers_only:
            names = [name for name in names if name != "gateway"]
        return rng.choice(names)

    async def _stop(self, name: str, sig: signal.Signals) -> None:
        """Signal the process and wait until it is gone (the supervisor then restarts it)."""
        process = next(p for p in self.stack.processes if p.name == name)
        popen = process.popen
        with contextlib.suppress(ProcessLookupError):
            popen.send_signal(sig)
        await asyncio.to_thread(popen.wait, 60)
        # Not "recovered" before the supervisor has started a new process.
        while True:
            if process.popen is not popen:
                return
            await asyncio.sleep(0.05)

    def _ready(self, name: str) -> bool:
        process = next(p for p in self.stack.processes if p.name == name)
        if not process.is_running():
            return False
        try:
            url = f"{process.url}/readyz"
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 -- loopback
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError, http.client.HTTPException):
            return False
