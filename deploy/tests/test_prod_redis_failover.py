"""The prod overlay's Redis fails over: its own scripts, run on this machine, promote a replica.

The start-up scripts and configuration of the prod overlay (rendered by kustomize, as the
cluster gets them) run with Debian's redis-server standing in for Valkey, in network, mount and
host-name namespaces of their own (never near the shared Redis): three nodes and three
Sentinels, each under its pod's name (an /etc/hosts seen only inside). The test kills the
primary: the Sentinels promote a replica, a client configured with the overlay's REDIS_URL
writes to it with what was written before, and the old primary, restarted, rejoins as a
replica. Needs root (or user namespaces) for `unshare`; skipped otherwise.
"""

import asyncio
import contextlib
import inspect
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from redis import Redis

from shared.redis_store import REDIS_DOWN, create_redis
from shared.settings import ServiceSettings
from shared.testing import wait_until

PROD = Path(__file__).resolve().parents[1] / "k8s" / "overlays" / "prod"
PASSWORD = "test-password"
NODES = [f"copost-redis-{i}" for i in range(3)]
SENTINELS = [f"copost-redis-sentinel-{i}" for i in range(3)]
# Each pod's own loopback address inside the test's network namespace.
ADDRESSES = {
    **{name: f"127.0.1.{i + 1}" for i, name in enumerate(NODES)},
    **{name: f"127.0.2.{i + 1}" for i, name in enumerate(SENTINELS)},
}
HOSTS = {name: f"{name}.copost-redis" for name in NODES} | {
    name: f"{name}.copost-redis-sentinel" for name in SENTINELS
}


def namespaces_available() -> bool:
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--net", "--uts", "true"],  # noqa: S607 -- util-linux's
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not namespaces_available(), reason="needs redis-server, redis-cli and unshare (root)"
)
def test_prod_redis_promotes_a_replica_and_the_old_primary_rejoins(tmp_path: Path) -> None:
    rendered = subprocess.run(  # noqa: S603 -- kubectl with fixed arguments
        [str(Path(sys.executable).parent / "kubectl"), "kustomize", str(PROD)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    resources = [doc for doc in yaml.safe_load_all(rendered) if doc]
    scripts = next(
        r["data"]
        for r in resources
        if r["kind"] == "ConfigMap" and r["metadata"]["name"].startswith("copost-redis")
    )
    url = next(
        r["spec"]["target"]["template"]["data"]["REDIS_URL"]
        for r in resources
        if r["kind"] == "ExternalSecret" and r["metadata"]["name"] == "copost-redis"
    )
    (tmp_path / "scripts.json").write_text(json.dumps(scripts))
    (tmp_path / "url").write_text(url.replace("{{ .password }}", PASSWORD))
    try:
        result = subprocess.run(  # noqa: S603 -- this file, as the driver below
            ["unshare", "--mount", "--net", sys.executable, __file__, str(tmp_path)],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        stop_processes(tmp_path)
    logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in tmp_path.glob("*/*.log"))
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{logs}"
    assert "the old primary rejoined" in result.stdout


def stop_processes(root: Path) -> None:
    """Kill every process the driver started (their ids in root/pids), whatever happened."""
    for line in (root / "pids").read_text().split() if (root / "pids").exists() else []:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(line), signal.SIGKILL)


# -- the driver, run inside the namespaces --------------------------------------------------


class Pods:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.scripts: dict[str, str] = json.loads((root / "scripts.json").read_text())
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        shims = root / "bin"
        shims.mkdir()
        # redis-server and redis-cli answer to Valkey's names, as in the image.
        for valkey, redis in (("valkey-server", "redis-server"), ("valkey-cli", "redis-cli")):
            (shims / valkey).symlink_to(str(shutil.which(redis)))
        self.path = f"{shims}:{os.defpath}"

    def start(self, name: str) -> None:
        """Run the pod's script as its container does, with its paths moved under root/name."""
        pod = self.root / name
        for directory in ("etc", "run", "data"):
            (pod / directory).mkdir(parents=True, exist_ok=True)
        for file, text in self.scripts.items():
            text = text.replace("/etc/copost-redis", str(pod / "etc"))
            text = text.replace("/run/copost-redis", str(pod / "run")).replace(
                "/data", str(pod / "data")
            )
            # Every pod in one network namespace: each listens on its own address only.
            text = text.replace("bind * -::*", f"bind {ADDRESSES[name]}")
            text = text.replace("port 26379\n", f"port 26379\nbind {ADDRESSES[name]}\n")
            (pod / "etc" / file).write_text(text)
        script = "sentinel.sh" if name in SENTINELS else "redis.sh"
        # Its own host name, as in its pod; `exec`: the pid is the server's.
        command = ["unshare", "--uts", "sh", "-c", f'hostname {name} && exec sh "$0"']
        with (pod / f"{name}.log").open("ab") as log:
            self.running[name] = subprocess.Popen(  # noqa: S603 -- the pod's own script
                [*command, str(pod / "etc" / script)],
                env={"PATH": self.path, "REDIS_PASSWORD": PASSWORD},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        with (self.root / "pids").open("a") as pids:
            pids.write(f"{self.running[name].pid}\n")

    def kill(self, name: str) -> None:
        self.running[name].send_signal(signal.SIGKILL)
        self.running[name].wait(timeout=10)

    def client(self, name: str) -> Redis:
        port = 26379 if name in SENTINELS else 6379
        password = None if name in SENTINELS else PASSWORD
        return Redis(
            host=HOSTS[name], port=port, password=password, socket_timeout=2, decode_responses=True
        )


def answering(probe: Callable[[], Any]) -> Callable[[], Awaitable[Any]]:
    """The probe, false while what it asks is down (a node stopped, a failover under way)."""

    async def quiet() -> Any:
        try:
            outcome = probe()
            return await outcome if inspect.isawaitable(outcome) else outcome
        except REDIS_DOWN:
            return False

    return quiet


def name_the_pods(root: Path) -> None:
    """In the driver's own namespaces: loopback up, and each pod's name resolving to its
    address (an /etc/hosts nobody outside sees)."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)  # noqa: S607
    hosts = root / "hosts"
    hosts.write_text(
        "127.0.0.1 localhost\n" + "".join(f"{ADDRESSES[n]} {HOSTS[n]}\n" for n in ADDRESSES)
    )
    subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], check=True)  # noqa: S603, S607


async def drive(root: Path) -> None:
    pods = Pods(root)
    # As the StatefulSets start them: the Sentinels together, the nodes one after the other.
    for name in SENTINELS:
        pods.start(name)
    for name in NODES:
        pods.start(name)
        await wait_until(answering(pods.client(name).ping), timeout=30)
    # Every Sentinel knows the primary, its two replicas and the two other Sentinels.
    await wait_until(answering(lambda: all(watches_all(pods, s) for s in SENTINELS)), timeout=60)
    url = (root / "url").read_text()
    client = create_redis(ServiceSettings(redis_url=SecretStr(url), redis_timeout_seconds=1))
    assert client is not None
    await client.set("before", "kept")
    await wait_until(answering(lambda: all(pods.client(n).get("before") for n in NODES[1:])))

    pods.kill("copost-redis-0")

    await wait_until(answering(lambda: client.set("after", "written")), timeout=90)
    assert await client.get("before") == "kept"
    await client.aclose()
    # The client wrote through whichever Sentinel knew first; the others learn it by gossip.
    primary = await wait_until(answering(lambda: agreed_new_primary(pods)), timeout=30)
    # The old primary, restarted, asks the Sentinels and follows the new one.
    pods.start("copost-redis-0")
    await wait_until(answering(lambda: follows(pods, "copost-redis-0", primary)), timeout=60)
    assert pods.client("copost-redis-0").get("after") == "written"
    print(f"failed over to {primary}; the old primary rejoined")


def agreed_new_primary(pods: Pods) -> str | None:
    """The replica every Sentinel names as the primary now, or None while they differ."""
    named = {pods.client(s).sentinel_get_master_addr_by_name("copost")[0] for s in SENTINELS}
    replicas = {HOSTS["copost-redis-1"], HOSTS["copost-redis-2"]}
    return named.pop() if len(named) == 1 and named <= replicas else None


def watches_all(pods: Pods, sentinel: str) -> bool:
    master = pods.client(sentinel).sentinel_master("copost")
    return bool(
        master["ip"] == HOSTS["copost-redis-0"]
        and master["num-slaves"] == 2
        and master["num-other-sentinels"] == 2
    )


def follows(pods: Pods, node: str, primary: str) -> bool:
    replication = pods.client(node).info("replication")
    return bool(
        replication["role"] == "slave"
        and replication["master_host"] == primary
        and replication["master_link_status"] == "up"
    )


if __name__ == "__main__":
    name_the_pods(Path(sys.argv[1]))
    asyncio.run(drive(Path(sys.argv[1])))
