"""Inboxes: signed activities from another server, Follow answered by a signed Accept that
the broker delivers, Undo, repeats recognised, and what is refused (a host sending too fast
among it)."""

import json
from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from federation_support import (
    DOMAIN,
    FederationHarness,
    RemotePeer,
    SettingsFactory,
    StartFederation,
)
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.core.remote import FixedAddresses, RemoteAddresses, RemoteRefused
from federation.core.signatures import verify
from shared.clock import utc_now
from shared.testing import served_over_http, wait_until

INBOXES = pytest.mark.parametrize("inbox", ["/users/alice/inbox", "/inbox"])


async def followers_of(federation: FederationHarness, handle: str) -> int:
    answer = await federation.get(f"/users/{handle}/followers")
    assert answer.status_code == 200
    assert answer.json()["type"] == "OrderedCollection"
    count: int = answer.json()["totalItems"]
    return count


async def alice_key(federation: FederationHarness) -> rsa.RSAPublicKey:
    pem = (await federation.get("/users/alice")).json()["publicKey"]["publicKeyPem"]
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return key


@INBOXES
@pytest.mark.parametrize("dialect", ["cavage", "rfc9421"])
async def test_a_remote_follow_is_accepted_with_a_signed_post_from_the_broker(
    federation: FederationHarness, peer: RemotePeer, inbox: str, dialect: str
) -> None:
    follow = peer.follow("alice")

    answer = await federation.post_signed(inbox, follow, peer, dialect=dialect)

    assert answer.status_code == 202
    (accept,) = await wait_until(lambda: peer.accepts() or None)
    assert accept["type"] == "Accept"
    assert accept["actor"] == f"http://{DOMAIN}/users/alice"
    assert accept["object"]["id"] == follow["id"]
    delivered = peer.received[-1]
    assert delivered.url == f"{peer.actor_id}/inbox"
    verify(delivered, await alice_key(federation), now=utc_now(), max_age=timedelta(minutes=5))
    assert await followers_of(federation, "alice") == 1
    assert await followers_of(federation, "bob") == 0


async def test_a_repeated_follow_is_taken_once(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    follow = peer.follow("alice")

    first = await federation.post_signed("/inbox", follow, peer)
    again = await federation.post_signed("/inbox", follow, peer)

    assert (first.status_code, again.status_code) == (202, 202)
    await wait_until(lambda: peer.accepts() or None)
    assert await followers_of(federation, "alice") == 1


async def test_undo_takes_the_follow_back(federation: FederationHarness, peer: RemotePeer) -> None:
    follow = peer.follow("alice")
    await federation.post_signed("/users/alice/inbox", follow, peer)
    assert await followers_of(federation, "alice") == 1

    answer = await federation.post_signed("/users/alice/inbox", peer.undo(follow), peer)

    assert answer.status_code == 202
    assert await followers_of(federation, "alice") == 0


async def test_an_unsigned_activity_is_refused(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    answer = await federation.post("/inbox", json.dumps(peer.follow("alice")).encode(), {})

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert await followers_of(federation, "alice") == 0


async def test_an_activity_signed_by_someone_else_than_its_actor_is_refused(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    follow = peer.follow("alice") | {"actor": "http://elsewhere.example/users/mallory"}

    answer = await federation.post_signed("/inbox", follow, peer)

    assert answer.status_code == 401
    assert await followers_of(federation, "alice") == 0


async def test_a_signature_over_another_body_is_refused(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    signed_for = peer.follow("bob")
    sent = json.dumps(peer.follow("alice")).encode()

    answer = await federation.post_signed("/inbox", signed_for, peer, body=sent)

    assert answer.status_code == 401
    assert await followers_of(federation, "alice") == 0


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"type": "Follow"}', b'{"id": 1, "type": "Follow", "actor": 2}']
)
async def test_what_is_no_activity_is_a_bad_request(
    federation: FederationHarness, body: bytes
) -> None:
    answer = await federation.post("/inbox", body, {})

    assert answer.status_code == 400


async def test_an_oversized_activity_is_refused_unread(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    async with start_federation(inbox_max_bytes=1000) as federation:
        follow = peer.follow("alice") | {"padding": "x" * 2000}

        answer = await federation.post_signed("/inbox", follow, peer)

        assert answer.status_code == 413


async def test_the_inbox_of_an_unknown_account_is_not_found(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    answer = await federation.post_signed("/users/nobody/inbox", peer.follow("nobody"), peer)

    assert answer.status_code == 404


async def test_a_key_on_a_loopback_address_is_not_fetched_outside_tests(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    async with start_federation(allow_private_addresses=False) as federation:
        answer = await federation.post_signed("/inbox", peer.follow("alice"), peer)

        assert answer.status_code == 401
        assert "non-public address" in answer.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/actor",
        "http://[::1]/actor",
        "http://10.0.0.7/actor",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/actor",
        "file:///etc/passwd",
    ],
)
async def test_addresses_inside_the_network_are_refused(
    federation_settings: SettingsFactory, url: str
) -> None:
    addresses = RemoteAddresses(federation_settings(allow_private_addresses=False))

    with pytest.raises(RemoteRefused):
        await addresses.check(url)


async def test_only_the_named_test_hosts_pass_the_check_on_a_loopback_address(
    federation_settings: SettingsFactory,
) -> None:
    settings = federation_settings(
        allow_private_addresses=False, federation_test_hosts={"B.copost.test": "127.0.0.1:8443"}
    )
    addresses = RemoteAddresses(settings)

    await addresses.check("https://b.copost.test/users/bea")
    for url in ("https://localhost/users/bea", "https://127.0.0.1:8443/users/bea"):
        with pytest.raises(RemoteRefused):
            await addresses.check(url)


def test_a_test_host_whose_address_is_not_host_and_port_is_refused(
    federation_settings: SettingsFactory,
) -> None:
    with pytest.raises(ValidationError, match="not host:port"):
        federation_settings(federation_test_hosts={"b.copost.test": "127.0.0.1"})


async def test_a_test_host_is_reached_at_its_address_and_still_asked_for_by_name() -> None:
    hosts: list[str] = []

    async def answer(request: Request) -> Response:
        hosts.append(request.headers["host"])
        return Response(status_code=204)

    app = Starlette(routes=[Route("/users/bea", answer)])
    async with served_over_http(app) as url:
        address = url.removeprefix("http://")
        transport = FixedAddresses(httpx.AsyncHTTPTransport(), {"b.copost.test": address})
        async with httpx.AsyncClient(transport=transport) as client:
            answered = await client.get("http://b.copost.test/users/bea")

    assert answered.status_code == 204
    assert hosts == ["b.copost.test"]


async def test_a_remote_host_sending_too_fast_is_told_to_wait_while_others_are_not(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    other = RemotePeer()
    limit = {"inbox_rate_limit_per_minute": 1, "inbox_rate_limit_burst": 2}
    async with (
        served_over_http(other.app()) as url,
        start_federation(**limit) as federation,
    ):
        other.url = url
        answers = [
            await federation.post_signed("/inbox", peer.follow("alice"), peer) for _ in range(3)
        ]

        assert [answer.status_code for answer in answers] == [202, 202, 429]
        assert answers[2].headers["content-type"] == "application/problem+json"
        assert int(answers[2].headers["retry-after"]) > 0
        assert (
            await federation.post_signed("/inbox", other.follow("bob"), other)
        ).status_code == 202
