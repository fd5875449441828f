"""Through `redis+sentinel://`, a service follows its Redis primary across a failover.

Real processes of Debian's `redis-server` on free loopback ports in a temporary directory (never
the shared Redis): a primary, its replica and a Sentinel watching them. The primary is killed;
the client's calls fail as "Redis is down" (what callers fall back on) until the Sentinel has
promoted the replica, then reach it, with what was written before the failover.
"""

import asyncio
import shutil
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from shared.redis_store import REDIS_DOWN, RedisClient, create_redis
from shared.settings import ServiceSettings
from shared.testing import wait_until

REDIS_SERVER = shutil.which("redis-server")
MASTER = "copost"
# The Sentinel takes the primary for down after this; one Sentinel is a quorum here.
DOWN_AFTER_MILLISECONDS = 500

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="needs Debian's redis-server (make redis installs it)"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Processes:
    """The Redis processes of one test, each in its own directory; all stopped at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.running: dict[int, asyncio.subprocess.Process] = {}

    async def start(self, name: str, config: str, *args: str) -> int:
        port = free_port()
        directory = self.root / name
        directory.mkdir()
        # A Sentinel rewrites its configuration file: each process has its own.
        path = directory / f"{name}.conf"
        path.write_text(
            f'port {port}\nbind 127.0.0.1\ndir {directory}\nsave ""\nappendonly no\n{config}'
        )
        assert REDIS_SERVER is not None
        with (directory / f"{name}.log").open("wb") as log:
            self.running[port] = await asyncio.create_subprocess_exec(
                REDIS_SERVER, str(path), *args, stdout=log, stderr=asyncio.subprocess.STDOUT
            )
        client = AsyncRedis(port=port, socket_timeout=1)
        try:
            await wait_until(lambda: answers(client))
        finally:
            await client.aclose()
        return port

    async def kill(self, port: int) -> None:
        self.running[port].send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.running[port].wait(), timeout=10)

    async def stop_all(self) -> None:
        for process in self.running.values():
            if process.returncode is None:
                process.terminate()
        for process in self.running.values():
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def answers(client: AsyncRedis) -> bool:
    try:
        return bool(await client.ping())
    except REDIS_DOWN:
        return False


@pytest.fixture
async def processes(tmp_path: Path) -> AsyncIterator[Processes]:
    started = Processes(tmp_path)
    yield started
    await started.stop_all()


async def test_the_client_reaches_the_promoted_replica_after_the_primary_dies(
    processes: Processes,
) -> None:
    primary = await processes.start("primary", "")
    replica = await processes.start("replica", f"replicaof 127.0.0.1 {primary}\n")
    sentinel_port = await processes.start(
        "sentinel",
        f"sentinel monitor {MASTER} 127.0.0.1 {primary} 1\n"
        f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MILLISECONDS}\n"
        f"sentinel failover-timeout {MASTER} 5000\n",
        "--sentinel",
    )
    sentinel = Redis(port=sentinel_port, socket_timeout=1, decode_responses=True)
    on_replica = Redis(port=replica, socket_timeout=1, decode_responses=True)
    settings = ServiceSettings(
        redis_url=SecretStr(f"redis+sentinel://127.0.0.1:{sentinel_port}/{MASTER}/0"),
        redis_timeout_seconds=0.5,
    )
    client = create_redis(settings)
    assert client is not None
    try:
        await client.set("before", "kept")
        # Replicated before the primary dies, and the Sentinel knows the replica to promote.
        await wait_until(lambda: on_replica.get("before"))
        await wait_until(lambda: replica_known(sentinel, replica))

        await processes.kill(primary)

        assert await wait_until(lambda: written(client), timeout=30)
        assert sentinel.sentinel_get_master_addr_by_name(MASTER) == ("127.0.0.1", replica)
        assert await client.get("before") == "kept"
        assert await client.get("after") == "written"
    finally:
        await client.aclose()
        sentinel.close()
        on_replica.close()


def replica_known(sentinel: Redis, port: int) -> bool:
    replicas = sentinel.sentinel_slaves(MASTER)
    return any(r["port"] == port and not r["is_disconnected"] for r in replicas)


async def written(client: RedisClient) -> bool:
    """Whether a write reaches a primary now; "Redis is down" until one is promoted."""
    try:
        return bool(await client.set("after", "written"))
    except REDIS_DOWN:
        return False
