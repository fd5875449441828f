"""CoPost against a server nobody here wrote: a peer built on Fedify (npm, run with Node.js)
follows a CoPost user found by WebFinger, takes the Accept and a co-authored Note (Fedify
checks their HTTP signatures), checks each consent stamp, and replies and likes back."""

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from federation_support import FederationHarness, published
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.inbox.repository import RECEIVED_ACTIVITIES
from shared.testing import DIRECTORY_USERS, caller_headers, served_over_http, wait_until

ALICE, BOB, CAROL = DIRECTORY_USERS
PEER_SCRIPT = Path(__file__).parent / "fedify_peer" / "peer.mjs"
FEDIFY = Path(__file__).parents[3] / "node_modules" / "@fedify" / "fedify"
# Fedify 1.5 runs on Node.js 20 and newer: Debian 13's; Debian 12's own package is 18.
FEDIFY_NODE_MAJOR = 20


async def _node_major(node: str) -> int:
    process = await asyncio.create_subprocess_exec(
        node, "--version", stdout=asyncio.subprocess.PIPE
    )
    version, _ = await process.communicate()
    return int(version.decode().strip().lstrip("v").split(".")[0])


@dataclass
class GatewayStandIn:
    """The gateway's part for a peer on real sockets: forwards every request to the service
    with the gateway's assertion, and keeps what each inbox POST was answered."""

    service: httpx.AsyncClient | None = None
    inbox_answers: list[tuple[str, int]] = field(default_factory=list)

    def app(self) -> FastAPI:
        async def forward(request: Request) -> Response:
            assert self.service is not None
            answer = await self.service.request(
                request.method,
                request.url.path,
                params=request.query_params,
                content=await request.body(),
                headers=dict(request.headers) | caller_headers("gateway", "federation"),
            )
            if request.method == "POST":
                kind = json.loads(await request.body())["type"]
                self.inbox_answers.append((kind, answer.status_code))
            return Response(answer.content, answer.status_code, headers=dict(answer.headers))

        return FastAPI(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])


@dataclass
class FedifyPeer:
    """The Node.js process and what it printed: its URL, then what its inbox took."""

    process: asyncio.subprocess.Process
    url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)

    async def read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.events.append(json.loads(line))

    def seen(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["event"] == kind]

    async def ask(self, control: str, **body: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=20) as client:
            answer = (await client.post(f"{self.url}/_test/{control}", json=body)).json()
        assert "error" not in answer, answer["error"]
        return answer  # type: ignore[no-any-return]


@asynccontextmanager
async def fedify_peer() -> AsyncIterator[FedifyPeer]:
    node = shutil.which("node")
    if node is None or not FEDIFY.is_dir():
        pytest.skip("no Node.js or no @fedify/fedify in node_modules: `make npm-tools` installs it")
    if await _node_major(node) < FEDIFY_NODE_MAJOR:
        pytest.skip(f"Fedify needs Node.js {FEDIFY_NODE_MAJOR} or newer (Debian 12's is older)")
    process = await asyncio.create_subprocess_exec(
        node, str(PEER_SCRIPT), stdout=asyncio.subprocess.PIPE, cwd=PEER_SCRIPT.parent
    )
    peer = FedifyPeer(process)
    reading = asyncio.create_task(peer.read())
    try:
        (listening,) = await wait_until(lambda: peer.seen("listening") or None, timeout=20)
        peer.url = listening["url"]
        yield peer
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await reading


@pytest.fixture
async def copost_on_a_port(
    start_federation: Callable[..., AbstractAsyncContextManager[FederationHarness]],
) -> AsyncIterator[tuple[FederationHarness, GatewayStandIn, str]]:
    """The service behind a stand-in gateway on a loopback port, its domain that host:port."""
    gateway = GatewayStandIn()
    async with (
        served_over_http(gateway.app()) as url,
        start_federation(federation_domain=url.removeprefix("http://")) as federation,
    ):
        gateway.service = federation.client
        yield federation, gateway, url


async def test_a_fedify_server_follows_checks_the_stamps_and_replies_and_likes(
    copost_on_a_port: tuple[FederationHarness, GatewayStandIn, str],
) -> None:
    federation, gateway, copost = copost_on_a_port
    alice = f"{copost}/users/alice"
    async with fedify_peer() as peer:
        followed = await peer.ask("follow", actor=alice)
        assert followed["followed"] == alice
        (accept,) = await wait_until(lambda: peer.seen("accept") or None)
        assert (accept["actor"], accept["object"]) == (alice, followed["follow"])

        await federation.events.publish(published("f1", ALICE.id, BOB.id, CAROL.id))
        (create,) = await wait_until(lambda: peer.seen("create") or None)
        assert create["actor"] == alice
        assert create["attributedTo"] == [alice, f"{copost}/users/bob", f"{copost}/users/carol"]
        assert [(stamp["coauthor"], stamp["valid"]) for stamp in create["stamps"]] == [
            (f"{copost}/users/bob", True),
            (f"{copost}/users/carol", True),
        ]

        sent = await peer.ask("interact", note=create["note"])
    assert sent["to"] == alice
    assert [answer for answer in gateway.inbox_answers if answer[0] != "Follow"] == [
        ("Create", 202),
        ("Like", 202),
    ]
    received = federation.app.state.runtime.db[RECEIVED_ACTIVITIES]
    assert await received.count_documents({"_id": {"$in": [sent["reply"], sent["like"]]}}) == 2


async def test_the_fedify_server_refuses_a_note_not_signed_by_its_sender() -> None:
    """What makes the Note it took above a verified one: unsigned, Fedify answers 401."""
    copost = "https://copost.test"
    async with fedify_peer() as peer, httpx.AsyncClient() as client:
        forged = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{copost}/posts/forged#create",
            "type": "Create",
            "actor": f"{copost}/users/alice",
            "object": {"id": f"{copost}/posts/forged", "type": "Note", "content": "forged"},
        }
        answer = await client.post(
            f"{peer.url}/users/peer/inbox",
            content=json.dumps(forged),
            headers={"content-type": "application/activity+json"},
        )
    assert answer.status_code == 401
    assert peer.seen("create") == []
