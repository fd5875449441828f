"""The independent peer: an ActivityPub server built on Fedify (fedify_peer/peer.mjs, run
with Node.js), started for a test and driven through its `/_test/` controls.

Alone it serves plain HTTP under its loopback address. Beside the federated instances it
serves HTTPS under a name of its own, with a leaf of the run's certificate authority, and
reaches the instances' names at their loopback addresses, trusting only the run's root.
"""

import asyncio
import json
import os
import shutil
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from certificate_authority import CertificateAuthority

from shared.testing import wait_until

PEER_SCRIPT = Path(__file__).parent / "fedify_peer" / "peer.mjs"
FEDIFY = Path(__file__).parents[1] / "node_modules" / "@fedify" / "fedify"
# Fedify 1.5 runs on Node.js 20 and newer: Debian 13's; Debian 12's own package is 18.
FEDIFY_NODE_MAJOR = 20


@dataclass(frozen=True, slots=True)
class PeerName:
    """The peer under `name` over HTTPS, reaching each of `addresses`' names at its address."""

    name: str
    authority: CertificateAuthority
    addresses: dict[str, str]


@dataclass
class FedifyPeer:
    """The Node.js process and what it printed: its URL, then what its inbox took."""

    process: asyncio.subprocess.Process
    tls: ssl.SSLContext | None = None
    url: str = ""
    control: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def address(self) -> str:
        """Where it listens, `127.0.0.1:port`."""
        return self.control.split("://", 1)[1]

    async def read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.events.append(json.loads(line))

    def seen(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["event"] == kind]

    async def ask(self, control: str, **body: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=20, verify=self.tls or True) as client:
            answer = (await client.post(f"{self.control}/_test/{control}", json=body)).json()
        assert "error" not in answer, answer["error"]
        return answer  # type: ignore[no-any-return]


async def fedify_missing() -> str | None:
    """Why the peer cannot run here, or None when it can."""
    node = shutil.which("node")
    if node is None or not FEDIFY.is_dir():
        return "no Node.js or no @fedify/fedify in node_modules: `make npm-tools` installs it"
    process = await asyncio.create_subprocess_exec(
        node, "--version", stdout=asyncio.subprocess.PIPE
    )
    version, _ = await process.communicate()
    if int(version.decode().strip().lstrip("v").split(".")[0]) < FEDIFY_NODE_MAJOR:
        return f"Fedify needs Node.js {FEDIFY_NODE_MAJOR} or newer (Debian 12's is older)"
    return None


@asynccontextmanager
async def fedify_peer(named: PeerName | None = None) -> AsyncIterator[FedifyPeer]:
    """The running peer; the test skips when Node.js or Fedify is missing."""
    if reason := await fedify_missing():
        pytest.skip(reason)
    environment = dict(os.environ)
    tls = None
    if named is not None:
        issued = named.authority.issue(named.name)
        environment |= {
            "PEER_NAME": named.name,
            "PEER_CERT": str(issued.certfile),
            "PEER_KEY": str(issued.keyfile),
            "PEER_HOSTS": json.dumps(named.addresses),
            "NODE_EXTRA_CA_CERTS": str(named.authority.ca_file),
        }
        tls = ssl.create_default_context(cafile=named.authority.ca_file)
    process = await asyncio.create_subprocess_exec(
        "node",
        str(PEER_SCRIPT),
        stdout=asyncio.subprocess.PIPE,
        cwd=PEER_SCRIPT.parent,
        env=environment,
    )
    peer = FedifyPeer(process, tls)
    reading = asyncio.create_task(peer.read())
    try:
        (listening,) = await wait_until(lambda: peer.seen("listening") or None, timeout=20)
        peer.url, peer.control = listening["url"], listening["control"]
        yield peer
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await reading
