"""The local CoPost stack: the embedded MongoDB servers, each backend service and the gateway as
processes.

`make run` (run.py) and the end-to-end tests start it. Only the services whose package is
installed in the workspace venv are started, so the stack grows as services land.
Standard library only: it runs under any Python and starts the services with the venv's.
"""

import atexit
import contextlib
import http.client
import itertools
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Self

from shared.embedded_mongo import configured_engine, dies_with, embedded_url, storage_path
from shared.services import BACKENDS, GATEWAY

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"

# Port offsets from the base port: the gateway takes the base port itself.
BACKEND_PORT_OFFSETS: Mapping[str, int] = {
    name: offset for offset, name in enumerate(BACKENDS, start=1)
}
# The embedded databases, one server per backend in list order (offset 8 is the benchmarks'
# floor app); a stack's span ends with them.
MONGO_PORT_OFFSET = 9
PORT_SPAN = MONGO_PORT_OFFSET + len(BACKENDS)
# The process serving them (shared.embedded_mongo.serve_each, the parent of one per database).
DATABASE = "mongo"


class StackError(RuntimeError):
    """A process of the stack did not start, did not become ready, or keeps crashing."""


@dataclass(frozen=True)
class RestartPolicy:
    """How the stack restarts a process that died: exponential backoff, capped, with an end.

    The n-th restart in a row waits first_delay * 2**(n-1) seconds, at most max_delay. A
    process that stayed up `stable_after` seconds starts the count afresh. One that died
    `give_up_after` times in a row without staying up that long is crash-looping (a bad
    setting, a port taken): restarting it further only hides that, so the stack gives up.
    """

    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 60.0
    give_up_after: int = 8

    def delay(self, restarts_in_a_row: int) -> float:
        return float(min(self.max_delay, self.first_delay * 2 ** (restarts_in_a_row - 1)))


@dataclass(frozen=True, slots=True)
class GatewayTls:
    """The gateway serves HTTPS with this certificate (valid for 127.0.0.1 too, for the
    readiness probe), issued by the authority in `ca_file`."""

    certfile: Path
    keyfile: Path
    ca_file: Path


@dataclass
class StackProcess:
    """One child process of the stack, with the log file it writes to."""

    name: str
    port: int
    popen: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    command: list[str]
    env: dict[str, str]
    started_at: float = field(default_factory=time.monotonic)
    restarts_in_a_row: int = 0
    restart_at: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def is_running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            text = self.log_path.read_text(errors="replace")
            return "\n".join(text.splitlines()[-lines:])
        return ""


def venv_python() -> Path:
    """The workspace venv's interpreter, or this one when already running inside a venv."""
    candidate = REPO_ROOT / ".venv" / "bin" / "python"
    return candidate if candidate.exists() else Path(sys.executable)


def installed_services(python: Path, names: Sequence[str]) -> list[str]:
    """The services among `names` whose `<name>.app` module the interpreter can import."""
    probe = (
        "import importlib.util, sys\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        found = importlib.util.find_spec(name + '.app') is not None\n"
        "    except ImportError:\n"
        "        found = False\n"
        "    if found:\n"
        "        print(name)\n"
    )
    result = subprocess.run(  # noqa: S603 -- our own venv's interpreter, fixed arguments
        [str(python), "-c", probe, *names], capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def generate_service_keys(python: Path, names: Sequence[str]) -> dict[str, dict[str, str]]:
    """An Ed25519 key pair per process (shared.identity), made by the venv's interpreter."""
    result = subprocess.run(  # noqa: S603 -- our own venv's interpreter, fixed arguments
        [str(python), "-m", "shared.identity", *names], capture_output=True, text=True, check=True
    )
    keys: dict[str, dict[str, str]] = json.loads(result.stdout)
    return keys


def port_is_free(port: int) -> bool:
    """Whether a server could listen on the port (closed connections in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ephemeral_ports_start() -> int:
    """The first port the kernel may give an outgoing connection (Linux; 32768 elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def find_free_base_port(first: int = 20000, last: int | None = None) -> int:
    """A base port whose whole span of ports is free (for a second stack beside a running one).

    Below the kernel's ephemeral ports by default: there a restarted process could find its
    port taken by some outgoing connection (seen: a timeline restarted after SIGKILL)."""
    last = last or max(ephemeral_ports_start(), first + PORT_SPAN * 3)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        start = probe.getsockname()[1]
    end = last - PORT_SPAN  # the last base whose span ends below `last`
    start = first + (start % (end - first)) // PORT_SPAN * PORT_SPAN
    # From a random start, then around from the first: a start near the end still finds one.
    step = PORT_SPAN * 3
    for base in itertools.chain(range(start, end + 1, step), range(first, start, step)):
        if all(port_is_free(base + offset) for offset in range(PORT_SPAN)):
            return base
    raise StackError(f"no free span of {PORT_SPAN} ports found between {first} and {last}")


class LocalStack:
    """Starts and stops the whole system on loopback ports, with logs under `data_dir/logs`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        base_port: int = 8000,
        mongo_url: str | None = None,
        amqp_url: str = DEFAULT_AMQP_URL,
        amqp_namespace: str = "",
        broker_user_prefix: str = "copost-",
        log_level: str = "INFO",
        extra_env: Mapping[str, str] | None = None,
        python: Path | None = None,
        services: Sequence[str] | None = None,
        ready_timeout: float = 60.0,
        stop_timeout: float = 15.0,
        restart_policy: RestartPolicy | None = None,
        die_with_parent: bool = False,
        gateway_tls: GatewayTls | None = None,
    ) -> None:
        """`die_with_parent`: each child gets SIGTERM when the thread that started it dies (a
        runner killed outright leaves nothing running); only for a runner that starts and
        restarts its children from one thread that lives as long as they should (run.py)."""
        self.data_dir = Path(data_dir).resolve()
        self.base_port = base_port
        self.amqp_url = amqp_url
        self.amqp_namespace = amqp_namespace
        self.log_level = log_level
        self.extra_env = dict(extra_env or {})
        self.python = python or venv_python()
        self.wanted = list(services) if services is not None else [*BACKEND_PORT_OFFSETS, GATEWAY]
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.restart_policy = restart_policy or RestartPolicy()
        self.die_with_parent = die_with_parent
        self.gateway_tls = gateway_tls
        self.embedded_mongo = mongo_url is None
        self._operator_mongo_url = mongo_url
        # A store from before each database had its own server keeps being served whole, by
        # one server, until its developer moves it (docs/development.md).
        self.single_store = self.embedded_mongo and self.legacy_store.exists()
        self.processes: list[StackProcess] = []
        # Each process's own key for signing its calls (SERVICE_PRIVATE_KEY), and every
        # process's public key (SERVICE_PUBLIC_KEYS); made afresh at each start.
        self.service_keys: dict[str, dict[str, str]] = {"private": {}, "public": {}}
        # One broker user per backend (shared.broker_users), made at start, deleted at stop.
        self.broker_user_prefix = broker_user_prefix
        self.broker_urls: dict[str, str] = {}

    @property
    def legacy_store(self) -> Path:
        """Where the embedded server kept every database before each had a server of its own."""
        return storage_path(configured_engine(), self.data_dir)

    def database_port(self, service: str) -> int:
        """The port of the embedded server of `service`'s database."""
        offset = 0 if self.single_store else BACKENDS.index(service)
        return self.base_port + MONGO_PORT_OFFSET + offset

    def database_url(self, service: str) -> str:
        """Where `service`'s database is served: the operator's MONGO_URL (one server for all),
        else its own embedded server. Everything that reads a service's database asks here."""
        if self._operator_mongo_url is not None:
            return self._operator_mongo_url
        return embedded_url("127.0.0.1", self.database_port(service))

    @property
    def database_urls(self) -> dict[str, str]:
        """Each backend's database URL; the embedded servers are the distinct ones."""
        return {service: self.database_url(service) for service in BACKENDS}

    def database_process(self, service: str) -> str:
        """The name `process_pids` gives the embedded server of `service`'s database."""
        return DATABASE if self.single_store else f"{DATABASE}-{service}"

    def process_pids(self) -> dict[str, int]:
        """Every running process's id by name, for CPU counts (the benchmarks): each embedded
        database server under its own name (`database_process`), not the parent serving them."""
        pids = {p.name: p.popen.pid for p in self.processes if p.name != DATABASE}
        database = next((p for p in self.processes if p.name == DATABASE), None)
        if database is None or self.single_store:
            return pids | ({DATABASE: database.popen.pid} if database else {})
        # serve_each forks them from its one thread in list order; the kernel lists a task's
        # children in the order they were made.
        pid = database.popen.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        servers = zip(BACKENDS, map(int, children), strict=True)
        return pids | {self.database_process(name): child for name, child in servers}

    @property
    def jwt_private_key_file(self) -> Path:
        """The users service creates this signing key when missing; it survives restarts."""
        return self.data_dir / "jwt-ed25519.pem"

    @property
    def gateway_url(self) -> str:
        scheme = "https" if self.gateway_tls else "http"
        return f"{scheme}://127.0.0.1:{self.base_port}"

    def service_url(self, name: str) -> str:
        if name == GATEWAY:
            return self.gateway_url
        return f"http://127.0.0.1:{self.base_port + BACKEND_PORT_OFFSETS[name]}"

    @property
    def running_services(self) -> list[str]:
        return [process.name for process in self.processes if process.name != DATABASE]

    def start(self) -> Self:
        """Start every installed service and wait until each one is ready; stop all on failure."""
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        atexit.register(self.stop)
        try:
            if self.embedded_mongo:
                self._start_mongo()
            installed = installed_services(self.python, self.wanted)
            self.service_keys = generate_service_keys(self.python, installed)
            backends = [name for name in BACKEND_PORT_OFFSETS if name in installed]
            self.broker_urls = self._broker_users(backends)
            started = [self._start_service(name) for name in backends]
            for process in started:
                self._wait_ready(process)
            if GATEWAY in installed:
                self._wait_ready(self._start_service(GATEWAY))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> list[str]:
        """SIGTERM every child (gateway first, MongoDB last), SIGKILL what outlives the timeout;
        then remove the stack's broker users, and its queues and exchanges when it has a
        namespace of its own. Idempotent: what is already gone is no error. Returns what it
        could not clean (empty when all is clean)."""
        services = [process for process in self.processes if process.name != DATABASE]
        mongo = [process for process in self.processes if process.name == DATABASE]
        self._terminate(list(reversed(services)))
        self._terminate(mongo)
        self.processes.clear()
        if not self.broker_urls:
            return []
        self.broker_urls = {}
        return self.clean_broker()

    def clean_broker(self) -> list[str]:
        """Delete this stack's broker users (every backend's) and, under a namespace, its queues
        and exchanges: whatever a stop (or a killed runner) left. What could not be done."""
        commands = [
            ["delete", "--prefix", self.broker_user_prefix, "--services", *BACKEND_PORT_OFFSETS]
        ]
        if self.amqp_namespace:
            commands.append(
                [
                    "delete-namespace",
                    "--amqp-url",
                    self.amqp_url,
                    "--namespace",
                    self.amqp_namespace,
                ]
            )
        problems: list[str] = []
        # At once: each rabbitmqctl call costs seconds.
        with ThreadPoolExecutor(len(commands)) as pool:
            for done in [pool.submit(self._broker_tool, *command) for command in commands]:
                try:
                    done.result()
                except StackError as error:
                    problems.append(str(error))
        return problems

    def dead_processes(self) -> list[StackProcess]:
        return [process for process in self.processes if not process.is_running()]

    def supervise(self) -> list[str]:
        """Restart the processes that died, after their backoff; say what happened.

        Call it periodically (run.py does, every half second). Raises StackError when a
        process crash-loops past the restart policy's limit.
        """
        now = time.monotonic()
        notes = []
        for process in self.dead_processes():
            if process.restart_at is None:
                notes.append(self._schedule_restart(process, now))
            elif now >= process.restart_at:
                self._respawn(process)
                notes.append(f"{process.name} restarted (pid {process.popen.pid})")
        return notes

    def wait_ready(self, name: str) -> None:
        """Block until the named service answers /readyz (after a restart, say)."""
        self._wait_ready(next(p for p in self.processes if p.name == name))

    def _schedule_restart(self, process: StackProcess, now: float) -> str:
        policy = self.restart_policy
        if now - process.started_at >= policy.stable_after:
            process.restarts_in_a_row = 0
        if process.restarts_in_a_row >= policy.give_up_after:
            raise StackError(
                f"{process.name} exited (code {process.popen.returncode}) again after"
                f" {process.restarts_in_a_row} restarts in a row; giving up. Last lines of"
                f" {process.log_path}:\n{process.log_tail()}"
            )
        process.restarts_in_a_row += 1
        delay = policy.delay(process.restarts_in_a_row)
        process.restart_at = now + delay
        return f"{process.name} exited (code {process.popen.returncode}); restarting in {delay:g}s"

    def _respawn(self, process: StackProcess) -> None:
        process.log_file.write(f"\n--- restarting {process.name} ---\n".encode())
        process.log_file.flush()
        process.popen = self._popen(process.command, process.env, process.log_file)
        process.started_at = time.monotonic()
        process.restart_at = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def environment(self, name: str) -> dict[str, str]:
        """The environment a service process gets: the caller's, the stack's wiring, extras."""
        env = dict(os.environ)
        env.update({"LOG_LEVEL": self.log_level, "PYTHONUNBUFFERED": "1"})
        if name in self.broker_urls:
            # The gateway gets neither: it uses no database and publishes no event.
            env.update(
                {
                    "MONGO_URL": self.database_url(name),
                    "AMQP_URL": self.broker_urls[name],
                    "AMQP_USER_PREFIX": self.broker_user_prefix,
                    "AMQP_NAMESPACE": self.amqp_namespace,
                }
            )
        else:
            for secret in ("MONGO_URL", "AMQP_URL"):
                env.pop(secret, None)
        if self.amqp_namespace:
            # A namespaced stack (the tests) keeps its Redis keys apart too, as the test plugin
            # names them (shared.testing.redis_key_prefix), and so deletes them afterwards.
            env["REDIS_KEY_PREFIX"] = f"{self.amqp_namespace.rstrip('.')}:"
        for backend in BACKEND_PORT_OFFSETS:
            env[f"{backend.upper()}_URL"] = self.service_url(backend)
        if name == "users":
            env["JWT_PRIVATE_KEY_FILE"] = str(self.jwt_private_key_file)
            env["JWT_NEXT_PRIVATE_KEY_FILE"] = str(self.data_dir / "jwt-ed25519.next.pem")
            env["JWT_PREVIOUS_PRIVATE_KEY_FILE"] = str(self.data_dir / "jwt-ed25519.previous.pem")
        env["SERVICE_PRIVATE_KEY"] = self.service_keys["private"].get(name, "")
        env["SERVICE_PUBLIC_KEYS"] = json.dumps(self.service_keys["public"])
        env.update(self.extra_env)
        return env

    def _broker_users(self, services: list[str]) -> dict[str, str]:
        """Create the services' broker users with fresh passwords; their AMQP URLs."""
        created = self._broker_tool(
            "create",
            *("--amqp-url", self.amqp_url, "--prefix", self.broker_user_prefix),
            *("--namespace", self.amqp_namespace, "--services", *services),
        )
        urls: dict[str, str] = json.loads(created)
        return urls

    def _broker_tool(self, action: str, *arguments: str) -> str:
        """`python -m shared.broker_users <action> ...` (needs rabbitmqctl as root on the
        broker's host); its standard output."""
        command = [str(self.python), "-m", "shared.broker_users", action, *arguments]
        try:
            result = subprocess.run(  # noqa: S603 -- the venv's interpreter, fixed arguments
                command, capture_output=True, text=True, check=True, timeout=120
            )
        except (OSError, subprocess.SubprocessError) as error:
            detail = getattr(error, "stderr", "") or str(error)
            raise StackError(
                f"shared.broker_users {action} failed (it needs rabbitmqctl as root on the"
                f" broker's host): {str(detail).strip()[-500:]}"
            ) from error
        return result.stdout

    def _start_mongo(self) -> None:
        """One embedded server per backend's database (one Python process serves about one
        core), or one for all when `single_store`; ready when each accepts connections."""
        ports = sorted({self.database_port(service) for service in BACKENDS})
        if taken := [port for port in ports if not port_is_free(port)]:
            raise StackError(f"cannot start the databases: ports {taken} are already in use")
        command = [
            *(str(self.python), "-m", "shared.embedded_mongo"),
            *("--data-dir", str(self.data_dir)),
            *("--host", "127.0.0.1", "--port", str(ports[0])),
        ]
        if not self.single_store:
            command += ["--databases", *BACKENDS]
        process = self._spawn(DATABASE, ports[0], command, dict(os.environ))
        self._wait_ports(process, ports)

    def _start_service(self, name: str) -> StackProcess:
        port = self.base_port if name == GATEWAY else self.base_port + BACKEND_PORT_OFFSETS[name]
        command = [
            *(
                str(self.python),
                "-m",
                "uvicorn",
                f"{name}.app:create_app",
                "--factory",
                "--no-access-log",
                # The gateway decides itself whom to believe about client addresses.
                "--no-proxy-headers",
            ),
            *("--host", "127.0.0.1", "--port", str(port)),
        ]
        if name == GATEWAY and self.gateway_tls:
            command += ["--ssl-certfile", str(self.gateway_tls.certfile)]
            command += ["--ssl-keyfile", str(self.gateway_tls.keyfile)]
        return self._spawn(name, port, command, self.environment(name))

    def _spawn(self, name: str, port: int, command: list[str], env: dict[str, str]) -> StackProcess:
        if not port_is_free(port):
            raise StackError(f"cannot start {name}: port {port} is already in use")
        log_path = self.data_dir / "logs" / f"{name}.log"
        log_file = log_path.open("ab")
        log_file.write(f"\n--- starting {name} on port {port} ---\n".encode())
        log_file.flush()
        popen = self._popen(command, env, log_file)
        process = StackProcess(name, port, popen, log_path, log_file, command, env)
        self.processes.append(process)
        return process

    def _popen(
        self, command: list[str], env: dict[str, str], log_file: IO[bytes]
    ) -> subprocess.Popen[bytes]:
        # A session of its own: Ctrl-C reaches run.py only, which stops children in order.
        return subprocess.Popen(  # noqa: S603 -- the venv's interpreter with fixed arguments
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=dies_with(os.getpid()) if self.die_with_parent else None,
        )

    def _wait_ports(self, process: StackProcess, ports: list[int]) -> None:
        def answers(port: int) -> bool:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=1),
            ):
                return True
            return False

        self._wait(process, lambda: all(answers(port) for port in ports), "to accept connections")

    def _wait_ready(self, process: StackProcess) -> None:
        tls = self.gateway_tls if process.name == GATEWAY else None
        context = ssl.create_default_context(cafile=tls.ca_file) if tls else None
        base_url = self.gateway_url if tls else process.url

        def ready() -> bool:
            url = f"{base_url}/readyz"
            try:
                # S310: a fixed URL on loopback, not a user-supplied scheme.
                with urllib.request.urlopen(url, timeout=2, context=context) as response:  # noqa: S310
                    return bool(response.status == 200)
            # A port in the ephemeral range that nothing listens on yet can connect to itself
            # (TCP simultaneous open): the "answer" is the request, not HTTP.
            except (OSError, urllib.error.URLError, http.client.HTTPException):
                return False

        self._wait(process, ready, "to be ready (/readyz)")

    def _wait(self, process: StackProcess, probe: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while not probe():
            if not process.is_running():
                raise StackError(
                    f"{process.name} exited with code {process.popen.returncode} before it was"
                    f" ready; last lines of {process.log_path}:\n{process.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise StackError(
                    f"{process.name} on port {process.port} did not become {what} within"
                    f" {self.ready_timeout}s; last lines of {process.log_path}:\n"
                    f"{process.log_tail()}"
                )
            time.sleep(0.1)

    def _terminate(self, processes: list[StackProcess]) -> None:
        for process in processes:
            if process.is_running():
                with contextlib.suppress(ProcessLookupError):
                    process.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for process in processes:
            try:
                process.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()
            process.log_file.close()
