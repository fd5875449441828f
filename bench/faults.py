"""Faults a soak injects, behind one small interface: the local stack's processes, or the
containers of a replicated compose stack (kill/restart a container, stop the broker, restart
the database or the cache, disconnect a replica from the network).

A `FaultInjector` names its targets (process or container names) and the kinds of fault it
can cause; `inject` causes one and returns once the fault is in effect; `recovered` waits
until the target serves again (ready); `stats` measures each target (memory, connections);
`parked` says what a dead-letter queue holds (shared.dead_letters) and the error each event's
handler last logged.
`LocalProcessFaults` drives deploy/local/stack.py's processes, restarted by the stack's own
supervision as `make run` restarts them. RabbitMQ is never stopped there: the machine's broker
is shared. `ContainerFaults` drives a compose project's containers (Docker restarts nothing
here: the injector starts again what it stopped), its own broker included.
"""

import asyncio
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from compose_stack import docker
from stack import LocalStack, RestartPolicy, StackError, venv_python

from shared.dead_letters import DeadLetter

# The kinds of fault. `kill`: SIGKILL, then restarted. `term`: SIGTERM (a graceful stop within
# SHUTDOWN_GRACE_SECONDS), then restarted. `rolling`: `term` for each target in turn, the next
# once the previous is ready again (a rolling update). `restart-db`: the database stopped and
# started (SIGTERM). `restart-cache`: Redis likewise. `broker-stop`: the broker stopped for an
# outage, then started. `partition`: a replica cut off the network for an outage, then
# reconnected. The last three need an injector that owns the broker, the cache, the network.
KILL, TERM, ROLLING, RESTART_DB, RESTART_CACHE, BROKER_STOP, PARTITION = (
    "kill",
    "term",
    "rolling",
    "restart-db",
    "restart-cache",
    "broker-stop",
    "partition",
)
DATABASE, CACHE, BROKER = "mongo", "redis", "rabbitmq"
# Whom a fault of each kind hits when the schedule names no target.
INFRASTRUCTURE_TARGETS = {RESTART_DB: DATABASE, RESTART_CACHE: CACHE, BROKER_STOP: BROKER}
SUPERVISE_SECONDS = 0.2
# Back up soon after a fault, and count a process stable again after a short while: a soak
# kills the same process several times, which is not a crash loop.
SOAK_RESTARTS = RestartPolicy(first_delay=0.5, max_delay=5.0, stable_after=10.0, give_up_after=8)


@dataclass(frozen=True)
class ProcessStats:
    pid: int
    rss_mib: float
    connections: int


@dataclass(frozen=True)
class ParkedEvent:
    """A message in a dead-letter queue and the last error its handler logged ("" if none)."""

    queue: str
    dead_letter: DeadLetter
    error: str


def service_of_dead_letter_queue(queue: str, namespace: str = "") -> str | None:
    """The service whose dead-letter queue this is (`timeline.dead-letter`), or None."""
    name = queue.removeprefix(namespace)
    return name.removesuffix(".dead-letter") if name.endswith(".dead-letter") else None


def parse_dead_letters(listed: str) -> list[DeadLetter]:
    """What `python -m shared.dead_letters list` printed."""
    return [DeadLetter(**json.loads(line)) for line in listed.splitlines() if line.strip()]


def handler_error(log_text: str, event_id: str) -> str:
    """The last error a service's JSON log lines record for an event: the exception's last
    line (its type and message), or the logged message."""
    found = ""
    for line in log_text.splitlines():
        if event_id not in line or not line.startswith("{"):
            continue
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("event_id") == event_id and entry.get("level") in ("ERROR", "WARNING"):
                exception = str(entry.get("exception") or "")
                found = _raised(exception) or str(entry.get("message"))
    return found


def _raised(traceback: str) -> str:
    """The last `Type: message` line of a traceback, inside an exception group's frame too."""
    for line in reversed(traceback.splitlines()):
        text = line.strip(" |+-")
        if _EXCEPTION_LINE.match(text):
            return text
    return ""


# A traceback's exception line: a dotted name ending like an exception's, then its message.
_EXCEPTION_LINE = re.compile(
    r"^[A-Za-z_][\w.]*(Error|Exception|Group|Cancelled|Timeout|Reconnect)\b"
)


class FaultInjector(Protocol):
    notes: list[str]

    def targets(self) -> list[str]:
        """What faults may hit: the services' processes or replicas (`timeline`, `timeline-2`)."""
        ...

    def supports(self, kind: str) -> bool: ...

    async def inject(self, kind: str, target: str) -> None:
        """Cause the fault; return once it is in effect (the target is down)."""
        ...

    async def recovered(self, target: str, within: float) -> None:
        """Return once the target serves again; raise TimeoutError after `within` seconds."""
        ...

    def stats(self) -> dict[str, ProcessStats]: ...

    def parked(self, queue: str) -> list[ParkedEvent]:
        """The events a dead-letter queue holds, left there, each with its handler's error."""
        ...


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
        return [
            p.name for p in self.stack.processes if p.name not in INFRASTRUCTURE_TARGETS.values()
        ]

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
        # Each database server under its own name (`mongo-users`); while they restart, the
        # parent serving them.
        pids = {process.name: process.popen.pid for process in self.stack.processes}
        with contextlib.suppress(OSError, ValueError):
            pids = self.stack.process_pids()
        found = {}
        for name, pid in pids.items():
            with contextlib.suppress(OSError):
                found[name] = process_stats(pid)
        return found

    def parked(self, queue: str) -> list[ParkedEvent]:
        service = service_of_dead_letter_queue(queue, self.stack.amqp_namespace)
        if service is None:
            return []
        listed = subprocess.run(  # noqa: S603 -- the venv's interpreter, fixed arguments
            [str(venv_python()), "-m", "shared.dead_letters", "list", service],
            env=self.stack.environment(service),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        process = next(p for p in self.stack.processes if p.name == service)
        log_text = process.log_path.read_text(errors="replace")
        return [
            ParkedEvent(queue, letter, handler_error(log_text, letter.event_id))
            for letter in parse_dead_letters(listed)
        ]

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


def replica_of(target: str) -> str:
    """The service a target belongs to: `timeline-2` and `timeline` are the timeline's."""
    service, _, number = target.rpartition("-")
    return service if number.isdigit() else target


def container_stats(container: str, memory: str) -> ProcessStats:
    """A container's memory (as `docker stats` gives it) and its network namespace's TCP
    connections (established, from /proc/<pid>/net/tcp{,6} of its main process)."""
    pid = int(docker("inspect", "--format", "{{.State.Pid}}", container))
    established = 0
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
            established += sum(row.split()[3] == "01" for row in rows)
    return ProcessStats(pid, _mebibytes(memory.split("/")[0]), established)


def _mebibytes(amount: str) -> float:
    units = {"B": 2**-20, "KiB": 2**-10, "kB": 2**-10, "MiB": 1, "MB": 1, "GiB": 2**10, "GB": 2**10}
    number = amount.strip().rstrip("BKMGikb")
    return float(number) * units[amount.strip()[len(number) :]]


class ContainerFaults:
    """Faults on the containers of a running compose project (a replicated stack).

    Targets are the replicas of the services, `<service>-<n>` (compose's container number).
    A killed or stopped container is started again by the injector (`docker kill`, then
    `docker start`), as an orchestrator would; the broker's stop and a partition last
    `outage_seconds` before the broker is started or the replica reconnected, with the same
    network aliases, so the service's name (and HAProxy's lookup) finds it again. Ready means
    the container's /readyz answers 200 (asked inside it: the replicas publish no port), and,
    for the database, the cache or the broker, every replica of every service ready again.
    """

    def __init__(self, project: str, outage_seconds: float = 15.0) -> None:
        self.project = project
        self.outage_seconds = outage_seconds
        self.notes: list[str] = []

    def containers(self) -> dict[str, str]:
        """Every container of the project by target name (`timeline-2`, `mongo-1`)."""
        listed = docker(
            "ps", "-a", "--filter", f"label=com.docker.compose.project={self.project}",
            "--format",
            '{{.ID}} {{.Label "com.docker.compose.service"}}'
            ' {{.Label "com.docker.compose.container-number"}}',
        )  # fmt: skip
        found = {}
        for line in listed.splitlines():
            container, service, number = line.split()
            found[f"{service}-{number}"] = container
        return found

    def targets(self) -> list[str]:
        infrastructure = {*INFRASTRUCTURE_TARGETS.values(), "haproxy"}
        return sorted(t for t in self.containers() if replica_of(t) not in infrastructure)

    def supports(self, kind: str) -> bool:
        return kind in (KILL, TERM, ROLLING, RESTART_DB, RESTART_CACHE, BROKER_STOP, PARTITION)

    async def inject(self, kind: str, target: str) -> None:
        if kind == ROLLING:
            for name in self.targets():
                await self.inject(TERM, name)
                await self.recovered(name, within=120.0)
            return
        container = self._container(INFRASTRUCTURE_TARGETS.get(kind, target))
        if kind == KILL:
            await self._docker("kill", container)
            await self._docker("start", container)
        elif kind in (TERM, RESTART_DB, RESTART_CACHE):
            # SIGTERM, then SIGKILL after the compose file's grace (15 s) had it not stopped.
            await self._docker("stop", "--time", "15", container)
            await self._docker("start", container)
        elif kind == BROKER_STOP:
            await self._docker("stop", "--time", "15", container)
            await asyncio.sleep(self.outage_seconds)
            await self._docker("start", container)
        elif kind == PARTITION:
            await self._partition(container)
        else:
            raise StackError(f"no such fault: {kind}")

    async def _partition(self, container: str) -> None:
        inspected = await self._docker(
            "inspect", "--format", "{{json .NetworkSettings.Networks}}", container
        )
        networks: dict[str, dict[str, list[str] | None]] = json.loads(inspected)
        for network in networks:
            await self._docker("network", "disconnect", network, container)
        await asyncio.sleep(self.outage_seconds)
        for network, settings in networks.items():
            aliases = [a for alias in settings.get("Aliases") or [] for a in ("--alias", alias)]
            await self._docker("network", "connect", *aliases, network, container)

    async def recovered(self, target: str, within: float) -> None:
        deadline = time.monotonic() + within
        infrastructure = replica_of(target) in INFRASTRUCTURE_TARGETS.values()
        names = self.targets() if infrastructure or target == "all" else [target]
        if infrastructure:
            await self._until(self._healthy, self._container(target), deadline)
        await asyncio.gather(
            *(self._until(self._ready, self._container(n), deadline) for n in names)
        )

    def stats(self) -> dict[str, ProcessStats]:
        listed = docker("stats", "--no-stream", "--format", "{{.Container}} {{.MemUsage}}")
        memory: dict[str, str] = {}
        for line in listed.splitlines():
            container, _, usage = line.partition(" ")
            memory[container] = usage
        found = {}
        for name, container in self.containers().items():
            usage = next((m for c, m in memory.items() if container.startswith(c)), "")
            if usage:
                with contextlib.suppress(subprocess.CalledProcessError, ValueError, KeyError):
                    found[name] = container_stats(container, usage)
        return found

    def queues(self) -> dict[str, tuple[int, int]]:
        """The broker's queues: (ready, unacknowledged) messages each."""
        listed = docker(
            "exec", self._container(BROKER), "rabbitmqctl", "-q", "list_queues",
            "--no-table-headers", "name", "messages_ready", "messages_unacknowledged",
        )  # fmt: skip
        queues = {}
        for line in listed.splitlines():
            parts = line.split()
            if len(parts) == 3:
                queues[parts[0]] = (int(parts[1]), int(parts[2]))
        return queues

    def parked(self, queue: str) -> list[ParkedEvent]:
        """Listed by the operator tool in a replica of the service (its broker user), the
        errors from the logs of all its replicas."""
        service = service_of_dead_letter_queue(queue)
        if service is None:
            return []
        replicas = [c for t, c in self.containers().items() if replica_of(t) == service]
        listed = docker(
            "exec", replicas[0], "python3", "-m", "shared.dead_letters", "list", service
        )
        log_text = "\n".join(self._logs(container) for container in replicas)
        return [
            ParkedEvent(queue, letter, handler_error(log_text, letter.event_id))
            for letter in parse_dead_letters(listed)
        ]

    def _logs(self, container: str) -> str:
        # The service logs to standard error, which `docker logs` gives as its own.
        command = [shutil.which("docker") or "docker", "logs", container]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        return completed.stdout + completed.stderr

    def _container(self, target: str) -> str:
        containers = self.containers()
        return containers.get(target) or containers[f"{target}-1"]

    async def _docker(self, *args: str) -> str:
        return await asyncio.to_thread(docker, *args)

    async def _until(self, ready: Callable[[str], bool], container: str, deadline: float) -> None:
        while not await asyncio.to_thread(ready, container):
            if time.monotonic() > deadline:
                names = {c: n for n, c in self.containers().items()}
                raise TimeoutError(f"{names.get(container, container)} not ready again in time")
            await asyncio.sleep(0.5)

    def _healthy(self, container: str) -> bool:
        try:
            health = docker("inspect", "--format", "{{.State.Health.Status}}", container)
        except subprocess.CalledProcessError:
            return False
        return health == "healthy"

    def _ready(self, container: str) -> bool:
        probe = "import urllib.request as r; r.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"
        try:
            docker("exec", container, "python3", "-c", probe)
        except subprocess.CalledProcessError:
            return False
        return True
