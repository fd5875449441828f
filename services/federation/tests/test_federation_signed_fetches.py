"""Signed fetches: the instance actor signs every GET this service makes of another server's
documents, so servers that answer only signed GETs answer; and, with AUTHORIZED_FETCH, this
instance answers only signed GETs itself."""

import httpx
import pytest
from federation_support import (
    ACTIVITY_JSON,
    DOMAIN,
    FederationHarness,
    RemotePeer,
    StartFederation,
    followed_by_peer,
    instance_actor_pem,
    look_up,
)

from federation.core.signatures import sign_cavage
from shared.clock import utc_now
from shared.testing import caller_headers, served_over_http


async def test_the_instance_actor_is_an_application_found_by_webfinger(
    federation: FederationHarness,
) -> None:
    actor = (await federation.fetch(f"http://{DOMAIN}/actor")).json()
    found = await federation.get("/.well-known/webfinger", resource=f"acct:{DOMAIN}@{DOMAIN}")

    assert actor["type"] == "Application"
    assert actor["id"] == f"http://{DOMAIN}/actor"
    assert actor["preferredUsername"] == DOMAIN
    assert actor["publicKey"]["id"] == f"http://{DOMAIN}/actor#main-key"
    assert actor["publicKey"]["owner"] == actor["id"]
    assert found.status_code == 200
    assert found.json()["links"][0]["href"] == actor["id"]
    # One key, kept: a second look serves the same.
    assert await instance_actor_pem(federation) == actor["publicKey"]["publicKeyPem"]


@pytest.fixture
async def closed_peer(federation: FederationHarness) -> RemotePeer:
    """A server in secure mode, as GoToSocial always is: only GETs signed by this instance's
    actor are answered."""
    return RemotePeer(fetcher_pem=await instance_actor_pem(federation))


async def test_a_server_answering_only_signed_gets_is_verified_and_followed_back(
    federation: FederationHarness, closed_peer: RemotePeer
) -> None:
    async with served_over_http(closed_peer.app()) as url:
        closed_peer.url = url
        async with httpx.AsyncClient() as anyone:
            unsigned = await anyone.get(closed_peer.actor_id)

        await followed_by_peer(federation, closed_peer, "alice")
        account = await look_up(federation, closed_peer.handle)

    assert unsigned.status_code == 401
    assert closed_peer.actor_fetches >= 1
    assert account is not None
    assert account["actor_url"] == closed_peer.actor_id


def test_a_signed_get_covers_no_digest() -> None:
    peer = RemotePeer(url="http://remote.example")
    headers = sign_cavage(
        "GET", "http://remote.example/actor", b"", key_id=peer.key_id, key=peer.key, now=utc_now()
    )

    assert "digest" not in headers
    assert 'headers="(request-target) host date"' in headers["signature"]


async def _get(
    federation: FederationHarness, path: str, signer: RemotePeer | None
) -> httpx.Response:
    headers = {"accept": ACTIVITY_JSON} | caller_headers("gateway", "federation")
    if signer is not None:
        signed = sign_cavage(
            "GET",
            f"http://{DOMAIN}{path}",
            b"",
            key_id=signer.key_id,
            key=signer.key,
            now=utc_now(),
        )
        headers |= {name: value for name, value in signed.items() if name != "host"}
    return await federation.client.get(path, headers=headers)


@pytest.mark.parametrize(
    "path",
    ["/users/alice", "/users/alice/followers", "/users/alice/outbox", "/posts/unknown"],
)
async def test_with_authorized_fetch_an_unsigned_get_is_refused(
    start_federation: StartFederation, path: str
) -> None:
    async with start_federation(authorized_fetch=True) as federation:
        answer = await _get(federation, path, None)

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


async def test_with_authorized_fetch_a_signed_get_is_answered_and_discovery_stays_open(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    async with start_federation(authorized_fetch=True) as federation:
        signed = await _get(federation, "/users/alice", peer)
        instance = await _get(federation, "/actor", None)
        webfinger = await federation.get("/.well-known/webfinger", resource=f"acct:alice@{DOMAIN}")

    assert signed.status_code == 200, signed.text
    assert signed.json()["id"] == f"http://{DOMAIN}/users/alice"
    assert instance.status_code == 200
    assert webfinger.status_code == 200


async def test_with_authorized_fetch_a_blocked_domain_is_refused_even_signed(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    async with start_federation(
        authorized_fetch=True, federation_blocked_domains="127.0.0.1"
    ) as federation:
        answer = await _get(federation, "/users/alice", peer)

    assert answer.status_code == 403
