"""The embedded MongoDB wire-protocol server for local runs and tests.

No MongoDB binary can be installed on the project's machines, so `make run` and the tests
serve the MongoDB wire protocol from a Python package, and the services talk to it through
the real driver, unchanged. Docker compose and Kubernetes run real MongoDB.

`EMBEDDED_MONGO` picks the server:

- `secantus` (default): SecantusDB (`secantusdb`, WiredTiger storage) as a separate
  process. Writes cost the same however large a collection grows and reads use indexes.
  It is GPL-2.0 and a development dependency only: never imported here, never shipped.
- `mongoeco`: mongoeco's proxy server on SQLite, in a thread (tests) or this process
  (`make run`). Pure Python, but its cost per write grows with the collection.

Both packages are in the workspace's `dev` dependency group, so each is imported (or run)
only when chosen.
"""

import argparse
import asyncio
import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn, Protocol

if TYPE_CHECKING:
    from mongoeco.wire import AsyncMongoEcoProxyServer

SECANTUS = "secantus"
MONGOECO = "mongoeco"
ENGINES = (SECANTUS, MONGOECO)
MEMORY = ":memory:"
# prctl(2): the signal a child gets when the thread that started it dies.
PR_SET_PDEATHSIG = 1
_LISTENING = re.compile(rb"secantus listening on [^\s:]+:(\d+)")


def configured_engine() -> str:
    """The engine `EMBEDDED_MONGO` names (default `secantus`)."""
    engine = os.environ.get("EMBEDDED_MONGO", SECANTUS).strip().lower() or SECANTUS
    if engine not in ENGINES:
        raise ValueError(f"EMBEDDED_MONGO must be one of {', '.join(ENGINES)}, not {engine!r}")
    return engine


# How clients connect to an embedded server. Without retryable writes: each one would leave a
# record on the server (to answer a retry with the first reply), and SecantusDB scans, then at
# its cap of 10 000 sorts, all of them on every write: follows slowed from 8/s to 4/s while a
# graph was built. CoPost retries at its own level: events are redelivered and every
# handler is idempotent.
EMBEDDED_URL_OPTIONS = "directConnection=true&retryWrites=false"


def embedded_url(host: str, port: int) -> str:
    return f"mongodb://{host}:{port}/?{EMBEDDED_URL_OPTIONS}"


def storage_path(engine: str, data_dir: Path) -> Path:
    """Where an engine keeps its data under a data directory (a folder or a SQLite file)."""
    return data_dir / ("secantus" if engine == SECANTUS else "mongo.sqlite3")


def each_store(path: Path, database: str) -> Path:
    """The store of one database's own server (`serve_each`), beside `path`: `secantus-users`."""
    return path.with_name(f"{path.stem}-{database}{path.suffix}")


def secantus_command(path: str, host: str, port: int) -> list[str]:
    """The SecantusDB server as a process of this interpreter.

    It presents itself as a one-node replica set (its default), so change streams work;
    clients connect with `directConnection=true`.
    """
    return [
        *(sys.executable, "-m", "secantus"),
        *("--host", host, "--port", str(port), "--storage-path", path),
    ]


def dies_with(parent: int) -> Callable[[], None]:
    """In a child before it runs its command: SIGTERM when its parent dies (Linux). It holds
    across exec, so a server outlives neither the stack that started it nor `serve_each`."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def set_parent_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above
            os.kill(os.getpid(), signal.SIGTERM)

    return set_parent_death_signal


class EmbeddedMongo(Protocol):
    url: str

    def start(self) -> str: ...

    def stop(self) -> None: ...


class SecantusProcess:
    """SecantusDB on a free loopback port, in its own process, until `stop()`."""

    def __init__(self, path: str = MEMORY, host: str = "127.0.0.1") -> None:
        self._path, self._host = path, host
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 60.0) -> str:
        # Its log goes to a file: a pipe nobody reads would block the server once full.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 -- closed in stop()
        self._process = subprocess.Popen(  # noqa: S603 -- this interpreter, fixed arguments
            secantus_command(self._path, self._host, 0),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not (port := self._listening_port()):
            if self._process.poll() is not None or time.monotonic() > deadline:
                output = self._output()
                self.stop()
                raise RuntimeError(f"SecantusDB did not start:\n{output}")
            time.sleep(0.05)
        self.url = embedded_url(self._host, port)
        return self.url

    @property
    def pid(self) -> int | None:
        """The server's process id (benchmarks read its CPU counters)."""
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _output(self) -> str:
        assert self._log is not None
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def _listening_port(self) -> int:
        assert self._log is not None
        self._log.seek(0)
        found = _LISTENING.search(self._log.read())
        return int(found.group(1)) if found else 0


def _import_mongoeco() -> None:
    """Import mongoeco's server, once per process, at the least cost.

    Through `cxp` it imports jsonschema, which compiles about forty grammars of
    `rfc3987_syntax` (if installed) for an `iri` format check the server never makes: two to
    three seconds of CPU. Hiding that module makes jsonschema skip the check."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import mongoeco.engines.sqlite
    import mongoeco.wire  # noqa: F401


def _mongoeco_server(path: str, host: str, port: int) -> "AsyncMongoEcoProxyServer":
    _import_mongoeco()
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    return AsyncMongoEcoProxyServer(engine=SQLiteEngine(path), host=host, port=port)


class MongoecoThread:
    """mongoeco's wire server in a background thread with its own event loop."""

    def __init__(self, path: str = MEMORY, host: str = "127.0.0.1", port: int = 0) -> None:
        self._path, self._host, self._port = path, host, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: AsyncMongoEcoProxyServer | None = None
        self.url = ""

    def start(self) -> str:
        self._thread.start()
        self._server = _mongoeco_server(self._path, self._host, self._port)
        address = asyncio.run_coroutine_threadsafe(self._server.start(), self._loop).result(30)
        self.url = f"{address.uri}{'&' if '?' in address.uri else '?'}retryWrites=false"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def embedded_mongo(engine: str | None = None) -> EmbeddedMongo:
    """An in-memory server of the configured engine, for a test session or a benchmark."""
    return SecantusProcess() if (engine or configured_engine()) == SECANTUS else MongoecoThread()


# How long a stopping server may take to close (answer or abort its requests, close its SQLite
# store) before the kernel ends it (SIGALRM): mongoeco's close waits, on its event loop, for
# its worker threads, and one can be in a long scan. Ending it there loses nothing
# acknowledged: each write is committed to SQLite's write-ahead log before its reply, and the
# next open replays the log. Well inside the 15 s a container is given between SIGTERM and
# SIGKILL (the parent of `serve_each` waits for its servers).
CLOSE_GRACE_SECONDS = 5


async def _serve_mongoeco(path: str, host: str, port: int) -> None:
    server = _mongoeco_server(path, host, port)
    address = await server.start()
    print(f"embedded MongoDB (mongoeco) listening on {address.uri}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stopping(*_: object) -> None:
        # Armed here, not on the event loop: a request computed on the loop (an aggregation
        # in Python) can hold it for minutes, and Python runs this handler between two of its
        # bytecodes.
        signal.alarm(CLOSE_GRACE_SECONDS)
        loop.call_soon_threadsafe(stop.set)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stopping)
    await stop.wait()
    with contextlib.suppress(Exception):
        await server.close()


def _serve(engine: str, path: Path, host: str, port: int) -> NoReturn:
    """Become the server of `engine` on `port`; exits with it."""
    if engine == SECANTUS:
        # Become the server: signals from the stack reach it directly.
        command = secantus_command(str(path), host, port)
        os.execv(command[0], command)  # noqa: S606 -- this interpreter, fixed arguments
    status = 1
    try:
        asyncio.run(_serve_mongoeco(str(path), host, port))
        status = 0
    except BaseException:  # reported, then the exit status says it
        traceback.print_exc()
    finally:
        # Exit without joining threads: the store is closed (or given up, see
        # CLOSE_GRACE_SECONDS) and a worker thread still in a query must not hold the exit.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def serve_each(engine: str, databases: list[str], path: Path, host: str, first_port: int) -> int:
    """One server process per database, on consecutive ports from `first_port`, each with a
    store of its own beside `path` (`mongo-users.sqlite3`): one Python process serves about
    one core, so the databases of many replicas behind one server wait on each other.

    The servers are forked from this process once it has imported mongoeco: seven fresh
    interpreters each importing it cost seven times its CPU on a 2-core machine, and kept
    the databases away for over a minute after a restart.

    SIGTERM or SIGINT stops them all (each within CLOSE_GRACE_SECONDS); when one ends, the
    others are stopped too, so a container running this is restarted whole; killed outright,
    it takes them with it (`dies_with`). Returns the first one's exit status."""
    if engine == MONGOECO:
        _import_mongoeco()
    children: list[int] = []
    parent = os.getpid()
    for number, name in enumerate(databases):
        if (child := os.fork()) == 0:
            dies_with(parent)()
            _serve(engine, each_store(path, name), host, first_port + number)
        children.append(child)

    def stop_all(*_: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    ended, status = os.wait()
    children.remove(ended)  # reaped: its id may be another process's now
    stop_all()
    for child in children:
        os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=".data", type=Path)
    # The stand-in image names its store directly (a SQLite file for mongoeco, a folder for
    # SecantusDB); without it the store is the engine's own place under --data-dir.
    parser.add_argument("--path", type=Path, default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument(
        "--databases",
        nargs="+",
        default=[],
        help="a server process per name, on consecutive ports from --port (see serve_each)",
    )
    args = parser.parse_args()
    engine = configured_engine()
    path = args.path if args.path is not None else storage_path(engine, args.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    if args.databases:
        sys.exit(serve_each(engine, args.databases, path, args.host, args.port))
    _serve(engine, path, args.host, args.port)


if __name__ == "__main__":
    main()
