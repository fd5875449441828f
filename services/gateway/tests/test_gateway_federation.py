"""The fediverse's paths: forwarded without a token to the federation service when the
instance has a domain, and not there at all when it has none."""

import httpx
import pytest

from services.gateway.tests.conftest import GatewayFactory

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@pytest.fixture
async def federating(start_gateway: GatewayFactory) -> httpx.AsyncClient:
    return await start_gateway(federation_domain="copost.test")


@pytest.mark.parametrize(
    ("method", "path", "accept"),
    [
        ("GET", "/.well-known/webfinger?resource=acct:alice@copost.test", "application/jrd+json"),
        ("GET", "/actor", ACTIVITY_JSON),
        ("GET", "/users/alice", ACTIVITY_JSON),
        ("GET", "/users/alice", LD_JSON),
        ("GET", "/users/alice", f"text/html;q=0.5, {ACTIVITY_JSON}"),
        ("GET", "/users/alice/followers", ACTIVITY_JSON),
        ("GET", "/users/alice/following", ACTIVITY_JSON),
        ("GET", "/users/alice/outbox?page=true", ACTIVITY_JSON),
        ("GET", "/posts/6756f1d3b2c3d4e5f6071829", ACTIVITY_JSON),
        ("GET", "/posts/6756f1d3b2c3d4e5f6071829", LD_JSON),
        ("GET", "/users/bob/coauthorizations/6756f1d3b2c3d4e5f6071829", ACTIVITY_JSON),
        ("POST", "/users/alice/inbox", ACTIVITY_JSON),
        ("POST", "/inbox", ACTIVITY_JSON),
    ],
)
async def test_federation_paths_reach_the_federation_service_without_a_token(
    federating: httpx.AsyncClient, method: str, path: str, accept: str
) -> None:
    response = await federating.request(
        method, path, headers={"Accept": accept, "Signature": 'keyId="k"'}, content=b"{}"
    )

    assert response.status_code == 200
    received = response.json()
    assert received["service"] == "federation"
    assert received["path"] == path.split("?", 1)[0]
    # The remote server's signature reaches the service that checks it.
    assert received["headers"]["signature"] == 'keyId="k"'


@pytest.mark.parametrize("path", ["/users/alice", "/posts/6756f1d3b2c3d4e5f6071829"])
async def test_an_actor_or_a_note_asked_for_as_a_page_is_not_forwarded(
    federating: httpx.AsyncClient, path: str
) -> None:
    response = await federating.get(path, headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_inbox_body_over_the_limit_is_refused_before_forwarding(
    federating: httpx.AsyncClient,
) -> None:
    response = await federating.post("/inbox", content=b"x" * 2048)

    assert response.status_code == 413


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/.well-known/webfinger?resource=acct:alice@copost.test"),
        ("GET", "/posts/6756f1d3b2c3d4e5f6071829"),
        ("POST", "/inbox"),
    ],
)
async def test_without_a_domain_the_federation_paths_are_not_there(
    gateway: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await gateway.request(method, path, headers={"Accept": ACTIVITY_JSON})

    # As for any path the gateway does not serve (405 where the web client's files answer GET).
    assert response.status_code in {404, 405}
