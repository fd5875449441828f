"""A service process stops within SHUTDOWN_GRACE_SECONDS of SIGTERM whatever its broker or its
database does, its probes answer throughout, and nothing it acknowledged is lost (issue 31).

The specimen is the users service as a real process (`uvicorn users.app:create_app`): a
sign-up is a write carrying an event in its outbox. The broker refuses it with a broker user
of this test's own, deleted; is down behind a proxy the test cuts; the database is a
SecantusDB of this test's own, stopped.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit
from uuid import uuid4

import httpx
import pytest
from pymongo import AsyncMongoClient

from shared.broker_users import create_users, delete_users, service_url
from shared.embedded_mongo import secantus_command
from shared.lifecycle import WATCHDOG_EXIT_CODE
from shared.testing import EventRecorder, TcpProxy, wait_until

GRACE_SECONDS = 6.0
# A probe answers within this whatever a dependency does: its checks give up after 1 s, and the
# rest is a loaded machine's latency (a dependency it waited on would take 5 s or more here).
PROBE_SECONDS = 3.0
# A process starting on a loaded machine (a load of 30 on 2 cores) took 50 s here.
STARTUP_SECONDS = 180.0
# How a clean stop ends: uvicorn re-raises the signal once it is done.
STOPPED_CLEANLY = -signal.SIGTERM
CHEAP_HASHING = {
    "PASSWORD_HASHING_MEMORY_MIB": "32",
    "PASSWORD_HASHING_CONCURRENCY": "4",
    "PASSWORD_HASH_TIME_COST": "1",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ServiceProcess:
    popen: subprocess.Popen[bytes]
    url: str
    log: IO[bytes]

    async def probe(self, path: str) -> httpx.Response:
        """A probe, which must answer within PROBE_SECONDS."""
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=self.url, timeout=PROBE_SECONDS + 1) as client:
            response = await client.get(path)
        assert time.monotonic() - started < PROBE_SECONDS, f"{path} answered too late"
        return response

    async def readiness(self) -> tuple[int, str]:
        response = await self.probe("/readyz")
        return response.status_code, response.json().get("detail", "")

    async def sign_up(self, handle: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            return await client.post(
                "/v1/users",
                json={"handle": handle, "password": "correct horse battery", "display_name": "L"},
            )

    async def stop(self) -> tuple[float, int]:
        """SIGTERM; how long the process took to exit, and how it exited."""
        started = time.monotonic()
        self.popen.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(self.popen.wait, GRACE_SECONDS + 10)
        return time.monotonic() - started, code

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]


@dataclass(frozen=True)
class Wiring:
    mongo_url: str
    amqp_url: str
    namespace: str
    prefix: str


@dataclass(frozen=True)
class BrokerUser:
    prefix: str
    password: str

    def url(self, amqp_url: str) -> str:
        """Its AMQP URL at the broker (or proxy) `amqp_url` names."""
        return service_url(amqp_url, f"{self.prefix}users", self.password)


@pytest.fixture
def broker_user(amqp_url: str, namespace: str) -> Iterator[BrokerUser]:
    """A broker user of this test's own, for the users service."""
    prefix = f"copost-lc-{uuid4().hex[:8]}-"
    url = create_users(amqp_url, ["users"], prefix=prefix, namespace=namespace)["users"]
    yield BrokerUser(prefix, urlsplit(url).password or "")
    delete_users(["users"], prefix=prefix)


def restore_user(amqp_url: str, namespace: str, user: BrokerUser) -> None:
    """The broker user back as it was (same password)."""
    passwords = {"users": user.password}
    create_users(amqp_url, ["users"], prefix=user.prefix, namespace=namespace, passwords=passwords)


def refuse_user(prefix: str) -> None:
    """Delete the broker user and drop its connections: every reconnection is refused."""
    delete_users(["users"], prefix=prefix)
    subprocess.run(  # noqa: S603 -- the broker's CLI, fixed arguments
        ["rabbitmqctl", "-q", "close_all_user_connections", f"{prefix}users", "test"],  # noqa: S607
        check=True,
        capture_output=True,
        timeout=60,
    )


async def start_users(tmp_path: Path, mongo_url: str, amqp_url: str, **env: str) -> ServiceProcess:
    """The users service as a process of its own, ready."""
    environment = {"MONGO_URL": mongo_url, "AMQP_URL": amqp_url, **CHEAP_HASHING, **env}
    process = start_process(tmp_path, "users", environment)
    await wait_until(lambda: _readiness_is(process, 200, ""), timeout=STARTUP_SECONDS)
    return process


def start_process(tmp_path: Path, name: str, env: dict[str, str]) -> ServiceProcess:
    port = free_port()
    log = (tmp_path / f"{name}-{port}.log").open("w+b")
    popen = subprocess.Popen(  # noqa: S603 -- this interpreter, fixed arguments
        [
            *(sys.executable, "-m", "uvicorn", f"{name}.app:create_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port)),
        ],
        env={
            **os.environ,
            "SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
            "OUTBOX_SWEEP_SECONDS": "0.5",
            **env,
        },
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return ServiceProcess(popen, f"http://127.0.0.1:{port}", log)


async def assert_stops_in_time(process: ServiceProcess) -> None:
    elapsed, code = await process.stop()
    assert code == STOPPED_CLEANLY, f"exit {code} (watchdog: {WATCHDOG_EXIT_CODE})"
    assert elapsed < GRACE_SECONDS, f"stopped after {elapsed:.1f}s"


async def test_refused_by_its_broker_it_is_not_ready_then_ready_again_and_stops_in_time(
    tmp_path: Path,
    mongo_url: str,
    amqp_url: str,
    namespace: str,
    broker_user: BrokerUser,
    event_recorder: EventRecorder,
) -> None:
    prefix = broker_user.prefix
    environment = {
        "MONGO_DATABASE": f"{namespace.rstrip('.')}-users",
        "AMQP_NAMESPACE": namespace,
        "AMQP_USER_PREFIX": prefix,
    }
    users = await start_users(tmp_path, mongo_url, broker_user.url(amqp_url), **environment)

    refuse_user(prefix)
    await wait_until(lambda: _readiness_is(users, 503, "rabbitmq"), timeout=10)
    assert (await users.probe("/healthz")).status_code == 200
    restore_user(amqp_url, namespace, broker_user)
    await wait_until(lambda: _readiness_is(users, 200, ""), timeout=15)
    refuse_user(prefix)
    await wait_until(lambda: _readiness_is(users, 503, "rabbitmq"), timeout=10)
    handle = f"kept_{uuid4().hex[:8]}"
    assert (await users.sign_up(handle)).status_code == 201

    await assert_stops_in_time(users)

    # Acknowledged while the broker refused: kept in the outbox, published once it is back.
    restore_user(amqp_url, namespace, broker_user)
    again = await start_users(tmp_path, mongo_url, broker_user.url(amqp_url), **environment)
    try:
        events = await event_recorder.wait_for("user.registered", timeout=15)
        assert [event.data["handle"] for event in events] == [handle]
    finally:
        await assert_stops_in_time(again)


async def test_with_its_broker_down_it_is_not_ready_then_ready_again_and_stops_in_time(
    tmp_path: Path,
    mongo_url: str,
    amqp_url: str,
    namespace: str,
    broker_user: BrokerUser,
    event_recorder: EventRecorder,
) -> None:
    broker = urlsplit(amqp_url)
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    await proxy.start()
    environment = {
        "MONGO_DATABASE": f"{namespace.rstrip('.')}-users",
        "AMQP_NAMESPACE": namespace,
        "AMQP_USER_PREFIX": broker_user.prefix,
    }
    proxied = broker_user.url(f"amqp://127.0.0.1:{proxy.port}/")
    users = await start_users(tmp_path, mongo_url, proxied, **environment)

    await proxy.cut()
    await wait_until(lambda: _readiness_is(users, 503, "rabbitmq"), timeout=10)
    await proxy.restore()
    await wait_until(lambda: _readiness_is(users, 200, ""), timeout=15)
    await proxy.cut()
    await wait_until(lambda: _readiness_is(users, 503, "rabbitmq"), timeout=10)
    handle = f"kept_{uuid4().hex[:8]}"
    assert (await users.sign_up(handle)).status_code == 201

    await assert_stops_in_time(users)

    again = await start_users(tmp_path, mongo_url, broker_user.url(amqp_url), **environment)
    try:
        events = await event_recorder.wait_for("user.registered", timeout=15)
        assert [event.data["handle"] for event in events] == [handle]
    finally:
        await assert_stops_in_time(again)


async def test_with_its_database_stopped_it_drains_answering_probes_and_stops_in_time(
    tmp_path: Path,
    amqp_url: str,
    namespace: str,
    broker_user: BrokerUser,
    event_recorder: EventRecorder,
) -> None:
    database = Database(tmp_path / "db", free_port())
    database.start()
    try:
        users = await start_users(
            tmp_path,
            database.url,
            broker_user.url(amqp_url),
            AMQP_NAMESPACE=namespace,
            AMQP_USER_PREFIX=broker_user.prefix,
            # A request waits for the database long enough to be in flight when the stop comes.
            MONGO_SERVER_SELECTION_TIMEOUT_SECONDS="30",
        )
        kept = f"kept_{uuid4().hex[:8]}"
        assert (await users.sign_up(kept)).status_code == 201
        await event_recorder.wait_for("user.registered", timeout=15)

        database.stop()
        await wait_until(lambda: _readiness_is(users, 503, "mongodb"), timeout=10)
        waiting = asyncio.create_task(users.sign_up(f"lost_{uuid4().hex[:8]}"))
        await wait_until(lambda: _in_flight(users), timeout=10)

        started = time.monotonic()
        users.popen.send_signal(signal.SIGTERM)
        # Draining: the port still listens, and the probes say so at once.
        await wait_until(lambda: _readiness_is(users, 503, "shutting down"), timeout=2)
        assert (await users.probe("/healthz")).status_code == 200
        cut = await waiting
        assert cut.status_code == 503, cut.text
        code = await asyncio.to_thread(users.popen.wait, GRACE_SECONDS + 10)
        assert code == STOPPED_CLEANLY, users.output()
        assert time.monotonic() - started < GRACE_SECONDS

        database.start()
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(database.url)
        try:
            stored = await client["copost_users"]["users"].find_one({"handle": kept})
        finally:
            await client.close()
        assert stored is not None
        assert not stored.get("outbox")
    finally:
        database.stop()
    assert [event.data["handle"] for event in event_recorder.of_type("user.registered")] == [kept]


async def test_a_database_that_answers_only_after_the_start_began_is_waited_for_not_exited_on(
    tmp_path: Path, amqp_url: str, namespace: str, broker_user: BrokerUser
) -> None:
    """A busy database answering after the driver's timeout fails a start-up step; the
    process tries it again rather than exit (an exit costs a new process, imports and all)."""
    database = Database(tmp_path / "db", free_port())
    users = start_process(
        tmp_path,
        "users",
        {
            "MONGO_URL": database.url,
            "AMQP_URL": broker_user.url(amqp_url),
            "AMQP_NAMESPACE": namespace,
            "AMQP_USER_PREFIX": broker_user.prefix,
            "MONGO_SERVER_SELECTION_TIMEOUT_SECONDS": "0.5",
            **CHEAP_HASHING,
        },
    )
    try:
        await wait_until(
            lambda: "MongoDB not reachable yet" in users.output(), timeout=STARTUP_SECONDS
        )
        database.start()
        await wait_until(lambda: _readiness_is(users, 200, ""), timeout=60)
        assert users.popen.poll() is None, users.output()
        await assert_stops_in_time(users)
    finally:
        if users.popen.poll() is None:
            users.popen.kill()
        database.stop()


async def test_with_the_users_service_hung_the_gateway_answers_probes_and_stops_in_time(
    tmp_path: Path,
) -> None:
    # A users service that accepts connections and never answers: a hung process.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(64)
        users_url = f"http://127.0.0.1:{hung.getsockname()[1]}"
        gateway = start_process(tmp_path, "gateway", {"USERS_URL": users_url})
        await wait_until(lambda: _readiness_is(gateway, 503, "users"), timeout=STARTUP_SECONDS)
        assert (await gateway.probe("/healthz")).status_code == 200
        waiting = asyncio.create_task(gateway.sign_up(f"hung_{uuid4().hex[:8]}"))
        await wait_until(lambda: _in_flight(gateway, "gateway"), timeout=10)

        started = time.monotonic()
        gateway.popen.send_signal(signal.SIGTERM)
        await wait_until(lambda: _readiness_is(gateway, 503, "shutting down"), timeout=2)
        cut = await waiting
        code = await asyncio.to_thread(gateway.popen.wait, GRACE_SECONDS + 10)
    assert code == STOPPED_CLEANLY, gateway.output()
    assert time.monotonic() - started < GRACE_SECONDS
    assert cut.status_code in {502, 503, 504}, cut.text


class Database:
    """SecantusDB on a fixed port and a folder: stopped and started again with its data."""

    def __init__(self, path: Path, port: int) -> None:
        self._path, self._port = path, port
        self._process: subprocess.Popen[bytes] | None = None
        self.url = f"mongodb://127.0.0.1:{port}/?directConnection=true"

    def start(self) -> None:
        self._path.mkdir(exist_ok=True)
        self._process = subprocess.Popen(  # noqa: S603 -- this interpreter, fixed arguments
            secantus_command(str(self._path), "127.0.0.1", self._port),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not _listens(self._port):
            assert self._process.poll() is None, "SecantusDB exited"
            assert time.monotonic() < deadline, "SecantusDB did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(30)
            self._process = None


def _listens(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


async def _readiness_is(process: ServiceProcess, status: int, naming: str) -> bool:
    if process.popen.poll() is not None:
        raise AssertionError(f"exited ({process.popen.returncode}):\n{process.output()}")
    try:
        code, detail = await process.readiness()
    except httpx.TransportError:
        return False
    return code == status and naming in detail


async def _in_flight(process: ServiceProcess, service: str = "users") -> bool:
    # Not a probe: a scrape measures the outbox first, which waits (bounded) on the database.
    async with httpx.AsyncClient(base_url=process.url, timeout=10) as client:
        metrics = (await client.get("/metrics")).text
    return f'copost_http_requests_in_flight{{service="{service}"}} 1.0' in metrics
