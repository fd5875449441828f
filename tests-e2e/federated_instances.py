"""Two whole CoPost instances federating over HTTPS under their own names, on one machine.

Each instance is a local stack of its own (own ports, AMQP namespace, databases) whose gateway
serves HTTPS with a leaf of a certificate authority made for the run. No /etc/hosts: every
client here, the federation services' included (`FEDERATION_TEST_HOSTS`), sends the two names
to their gateways' loopback ports while checking TLS against the names, and trusts only the
run's root (`REMOTE_CA_FILE`). A step of a federation story is a few lines on `Instance`.
Beside them may run the independent Fedify peer (fedify_server.py), under a name of its own
over HTTPS too, known to the instances and knowing them the same way.
"""

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from certificate_authority import CertificateAuthority
from conftest import E2EUser, NewUser, gateway_client, running_local_stack, user_factory
from fedify_server import FedifyPeer, PeerName, fedify_missing, fedify_peer
from stack import GatewayTls, LocalStack, find_free_base_port

from federation.core.remote import ACTIVITY_ACCEPT, FixedAddresses
from shared.remote_accounts import remote_post_id
from shared.testing import wait_until

# Deliveries between the two settle in seconds; a loaded 2-core machine needs the margin.
PATIENCE_SECONDS = 30.0


@dataclass
class Instance:
    """One CoPost instance as the fediverse and its own users reach it: https://<domain>."""

    domain: str
    stack: LocalStack
    addresses: dict[str, str]
    tls: ssl.SSLContext
    users: NewUser | None = None

    @property
    def url(self) -> str:
        return f"https://{self.domain}"

    def connect(self, base_url: str | None = None, **options: Any) -> httpx.AsyncClient:
        """A client reaching either instance by its name, trusting only the run's root."""
        transport = FixedAddresses(httpx.AsyncHTTPTransport(verify=self.tls), self.addresses)
        return gateway_client(base_url or self.url, transport=transport, **options)

    async def sign_up(self, prefix: str, *, collab_policy: str | None = None) -> E2EUser:
        assert self.users is not None, "the instance is not running"
        return await self.users(prefix, collab_policy=collab_policy)

    def address_of(self, user: E2EUser) -> str:
        """How another instance's users name this one's account: `handle@domain`."""
        return f"{user.handle}@{self.domain}"

    def note_url(self, post_id: str) -> str:
        return f"{self.url}/posts/{post_id}"

    async def fetch_activity(self, url: str) -> httpx.Response:
        """An ActivityPub document, fetched as another server would (any instance's URL)."""
        async with self.connect(url) as client:
            return await client.get(url, headers={"Accept": ACTIVITY_ACCEPT})


async def follow_remote(follower: E2EUser, followee_address: str) -> None:
    response = await follower.client.put(f"/v1/users/{followee_address}/follow")
    assert response.status_code == 204, response.text


async def remote_post_in_home(
    reader: E2EUser, origin: Instance, post_id: str, *, until: Any = bool
) -> dict[str, Any]:
    """The post `origin` published as `post_id`, from `reader`'s home on another instance,
    once it is there exactly once and `until(post)` holds."""
    local_id = remote_post_id(origin.note_url(post_id))
    return await await_home(reader, lambda post: post["id"] == local_id, until=until)


async def await_home(reader: E2EUser, matches: Any, *, until: Any = bool) -> dict[str, Any]:
    """The one post of `reader`'s home that `matches`, once `until(post)` holds for it."""

    async def read() -> dict[str, Any] | None:
        page = await reader.client.get("/v1/timeline", params={"limit": 100})
        assert page.status_code == 200, page.text
        found = [post for post in page.json()["items"] if matches(post)]
        assert len(found) <= 1, f"the home holds the post {len(found)} times"
        return found[0] if found and until(found[0]) else None

    return await wait_until(read, timeout=PATIENCE_SECONDS, interval=0.2)


async def await_gone_from_home(reader: E2EUser, post_id: str) -> None:
    async def gone() -> bool:
        page = await reader.client.get("/v1/timeline", params={"limit": 100})
        return all(post["id"] != post_id for post in page.json()["items"])

    await wait_until(gone, timeout=PATIENCE_SECONDS, interval=0.2)


@dataclass(frozen=True, slots=True)
class Federation:
    """The instances of a run, and the peer beside them if asked for."""

    instances: list[Instance]
    peer: FedifyPeer | None
    """None when Node.js or Fedify is missing here (`peer_missing` says why)."""
    peer_missing: str | None


@asynccontextmanager
async def federated_instances(
    tmp_path_factory: pytest.TempPathFactory, *domains: str, peer_name: str | None = None
) -> AsyncIterator[Federation]:
    """Instances under `domains`, started side by side, each knowing all the names; with
    `peer_name`, the Fedify peer under that name first, if it can run here."""
    authority = CertificateAuthority(tmp_path_factory.mktemp("test-ca"))
    ports = _distinct_base_ports(len(domains))
    addresses = {domain: f"127.0.0.1:{port}" for domain, port in zip(domains, ports, strict=True)}
    tls = ssl.create_default_context(cafile=authority.ca_file)
    async with AsyncExitStack() as running:
        peer, peer_missing = None, (await fedify_missing() if peer_name else None)
        if peer_name and not peer_missing:
            named = PeerName(peer_name, authority, dict(addresses))
            peer = await running.enter_async_context(fedify_peer(named))
            addresses[peer_name] = peer.address
        settings = {
            "FEDERATION_TEST_HOSTS": json.dumps(addresses),
            "REMOTE_CA_FILE": str(authority.ca_file),
        }

        async def start(domain: str, port: int) -> Instance:
            issued = authority.issue(domain)
            stack = await running.enter_async_context(
                running_local_stack(
                    tmp_path_factory,
                    {**settings, "FEDERATION_DOMAIN": domain},
                    base_port=port,
                    gateway_tls=GatewayTls(issued.certfile, issued.keyfile, authority.ca_file),
                )
            )
            instance = Instance(domain, stack, addresses, tls)
            instance.users = await running.enter_async_context(
                user_factory(instance.url, instance.connect)
            )
            return instance

        # Every start ends before any failure is raised, so each stack started is stopped.
        started = await asyncio.gather(*map(start, domains, ports), return_exceptions=True)
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        instances = [instance for instance in started if isinstance(instance, Instance)]
        yield Federation(instances, peer, peer_missing)


def _distinct_base_ports(count: int) -> list[int]:
    """Free port spans, none the same (each stack takes its span only when it starts)."""
    ports: list[int] = []
    while len(ports) < count:
        if (port := find_free_base_port()) not in ports:
            ports.append(port)
    return ports
