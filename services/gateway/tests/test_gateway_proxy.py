"""Forwarding through the gateway: routing, limits, upstream failures, streaming, CORS, files."""

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from prometheus_client import REGISTRY

from gateway.app import create_app
from services.gateway.tests.conftest import (
    KEY_ID,
    FakeServicesState,
    GatewayFactory,
    SettingsFactory,
    Signer,
    public_jwk,
)
from shared.services import Backend
from shared.testing import wait_until

PROBLEM = "application/problem+json"


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def auth(signer: Signer) -> dict[str, str]:
    return {"Authorization": f"Bearer {signer.token('alice-id')}"}


@pytest.mark.parametrize(
    ("method", "path", "service"),
    [
        ("GET", "/v1/users/alice/posts", "timeline"),
        ("GET", "/v1/timeline", "timeline"),
        ("GET", "/v1/users/alice", "users"),
        ("PUT", "/v1/users/alice/follow", "users"),
        ("PATCH", "/v1/me", "users"),
        ("DELETE", "/v1/posts/p1", "posts"),
        ("POST", "/v1/invitations/i1/accept", "invitations"),
        ("POST", "/v1/notifications/read", "notifications"),
    ],
)
async def test_requests_reach_the_owning_service_unchanged(
    gateway: httpx.AsyncClient, auth: dict[str, str], method: str, path: str, service: str
) -> None:
    response = await gateway.request(
        method, path, params={"limit": "5", "cursor": "a b"}, headers=auth, content=b'{"x": 1}'
    )

    assert response.status_code == 200
    received = response.json()
    assert (received["service"], received["method"], received["path"]) == (service, method, path)
    assert received["query"] == [["limit", "5"], ["cursor", "a b"]]
    assert received["body"] == '{"x": 1}'


async def test_forwarded_requests_are_measured_by_their_route_template(
    gateway: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    labels = {"service": "gateway", "method": "GET", "route": "/v1/{path:path}", "status": "200"}
    before = REGISTRY.get_sample_value("copost_http_requests_total", labels) or 0

    assert (await gateway.get("/v1/posts/p1", headers=auth)).status_code == 200

    assert REGISTRY.get_sample_value("copost_http_requests_total", labels) == before + 1


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/nothing-here", 404),
        ("GET", "/v1/posts/../../internal/deleted-users", 404),
        ("GET", "/internal/deleted-users", 404),
        ("GET", "/nowhere", 404),
        ("POST", "/healthz", 405),
    ],
)
async def test_the_gateways_own_errors_are_problems(
    gateway: httpx.AsyncClient, auth: dict[str, str], method: str, path: str, status: int
) -> None:
    response = await gateway.request(method, path, headers=auth)

    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == status


async def test_a_declared_body_over_the_limit_is_refused_with_413(
    gateway: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await gateway.post("/v1/posts", headers=auth, content=b"x" * 1025)

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


async def _chunks(count: int, size: int = 400) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


async def test_a_chunked_body_growing_over_the_limit_is_refused_with_413(
    gateway: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await gateway.post("/v1/posts", headers=auth, content=_chunks(3))

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


async def test_a_chunked_body_within_the_limit_is_forwarded_whole(
    gateway: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await gateway.post("/v1/posts", headers=auth, content=_chunks(2))

    assert response.status_code == 200
    assert response.json()["body"] == "x" * 800


async def test_a_user_over_its_rate_limit_gets_429_with_retry_after(
    start_gateway: GatewayFactory, signer: Signer
) -> None:
    gateway = await start_gateway(user_rate_limit_per_minute=1, user_rate_limit_burst=2)
    alice = {"Authorization": f"Bearer {signer.token('alice-id')}"}
    bob = {"Authorization": f"Bearer {signer.token('bob-id')}"}

    statuses = [(await gateway.get("/v1/me", headers=alice)).status_code for _ in range(2)]
    refused = await gateway.get("/v1/me", headers=alice)

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM
    assert int(refused.headers["retry-after"]) >= 1
    assert (await gateway.get("/v1/me", headers=bob)).status_code == 200


async def test_a_client_address_over_its_rate_limit_gets_429_but_probes_still_pass(
    start_gateway: GatewayFactory,
) -> None:
    gateway = await start_gateway(ip_rate_limit_per_minute=1, ip_rate_limit_burst=2)

    statuses = [(await gateway.post("/v1/auth/token", json={})).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert (await gateway.get("/healthz")).status_code == 200


async def test_an_unreachable_service_is_a_503_problem(
    start_gateway: GatewayFactory, auth: dict[str, str]
) -> None:
    gateway = await start_gateway(posts_url=closed_port_url())

    response = await gateway.get("/v1/posts/p1", headers=auth)

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert "Traceback" not in response.text


async def test_a_service_too_slow_to_answer_is_a_504_problem(
    start_gateway: GatewayFactory, auth: dict[str, str]
) -> None:
    gateway = await start_gateway(upstream_timeout_seconds=0.2)

    response = await gateway.get("/v1/posts/slow", headers=auth)

    assert response.status_code == 504
    assert response.headers["content-type"] == PROBLEM


async def test_a_non_json_error_from_a_service_becomes_a_problem(
    gateway: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await gateway.get("/v1/posts/plain-error", headers=auth)

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "boom" not in response.text


async def test_the_notification_stream_flows_event_by_event(
    gateway_settings: SettingsFactory,
    fake_services: FakeServicesState,
    signer: Signer,
    loopback_server: Callable[[FastAPI], AbstractAsyncContextManager[str]],
) -> None:
    app = create_app(gateway_settings())
    async with loopback_server(app) as gateway_url, httpx.AsyncClient() as client:
        url = f"{gateway_url}/v1/notifications/stream"
        params = {"access_token": signer.token("alice-id")}
        async with client.stream("GET", url, params=params, timeout=5) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert REGISTRY.get_sample_value("copost_open_streams", {"service": "gateway"}) == 1
            lines = response.aiter_lines()
            # The first event arrives while the service still holds back the second one.
            assert [await anext(lines) for _ in range(3)] == [
                "event: notification",
                "data: first",
                "",
            ]
            fake_services.release_second_event.set()
            assert [await anext(lines) for _ in range(2)] == ["event: notification", "data: second"]


async def test_two_hundred_open_streams_leave_ordinary_requests_their_connections(
    gateway_settings: SettingsFactory,
    fake_services: FakeServicesState,
    signer: Signer,
    loopback_server: Callable[[FastAPI], AbstractAsyncContextManager[str]],
) -> None:
    """The review's attack: one account's 200 streams took every pooled connection to the
    notifications service, and another user's list waited until 504. (Fair shares per account
    and address are lifted here: test_gateway_shared_limits.py.)"""
    app = create_app(gateway_settings(stream_max_per_account=1000, stream_max_per_address=1000))
    unlimited = httpx.Limits(max_connections=None)
    async with (
        loopback_server(app) as gateway_url,
        httpx.AsyncClient(base_url=gateway_url, limits=unlimited, timeout=10) as client,
        AsyncExitStack() as streams,
    ):
        params = {"access_token": signer.token("attacker-id")}
        for _ in range(200):
            opened = await streams.enter_async_context(
                client.stream("GET", "/v1/notifications/stream", params=params)
            )
            assert opened.status_code == 200

        listed = await client.get(
            "/v1/notifications", headers={"Authorization": f"Bearer {signer.token('victim-id')}"}
        )

        assert listed.status_code == 200
        assert listed.json()["service"] == "notifications"


@asynccontextmanager
async def gateway_with_two_stream_slots(
    gateway_settings: SettingsFactory,
    loopback_server: Callable[[FastAPI], AbstractAsyncContextManager[str]],
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway served on a real socket whose stream pool holds two connections."""
    app = create_app(gateway_settings(stream_max_connections=2, upstream_timeout_seconds=0.5))
    async with (
        loopback_server(app) as gateway_url,
        httpx.AsyncClient(base_url=gateway_url, timeout=10) as client,
    ):
        yield client


async def test_a_stream_beyond_the_stream_pool_is_a_503_with_retry_after(
    gateway_settings: SettingsFactory,
    fake_services: FakeServicesState,
    signer: Signer,
    loopback_server: Callable[[FastAPI], AbstractAsyncContextManager[str]],
) -> None:
    async with (
        gateway_with_two_stream_slots(gateway_settings, loopback_server) as client,
        AsyncExitStack() as streams,
    ):
        params = {"access_token": signer.token("alice-id")}
        for _ in range(2):
            await streams.enter_async_context(
                client.stream("GET", "/v1/notifications/stream", params=params)
            )

        refused = await client.get("/v1/notifications/stream", params=params)
        listed = await client.get(
            "/v1/notifications", headers={"Authorization": f"Bearer {signer.token('bob-id')}"}
        )

        assert refused.status_code == 503
        assert refused.headers["content-type"] == PROBLEM
        assert int(refused.headers["retry-after"]) >= 1
        assert listed.status_code == 200


async def test_closed_streams_give_their_stream_pool_connections_back(
    gateway_settings: SettingsFactory,
    signer: Signer,
    loopback_server: Callable[[FastAPI], AbstractAsyncContextManager[str]],
) -> None:
    async with gateway_with_two_stream_slots(gateway_settings, loopback_server) as client:
        params = {"access_token": signer.token("alice-id")}
        for _ in range(3):
            # Two streams the client walks away from, then two that end upstream (finite).
            async with AsyncExitStack() as streams:
                for _ in range(2):
                    opened = await streams.enter_async_context(
                        client.stream("GET", "/v1/notifications/stream", params=params)
                    )
                    assert opened.status_code == 200
            for _ in range(2):
                ended = await client.get(
                    "/v1/notifications/stream", params={**params, "finite": "1"}
                )
                assert ended.status_code == 200

            async def pool_free() -> bool:
                async with client.stream("GET", "/v1/notifications/stream", params=params) as again:
                    return again.status_code == 200

            # A disconnected client's stream is released by the server shortly after.
            await wait_until(pool_free, timeout=5)


async def test_cors_preflight_is_answered_for_allowed_origins_only(
    start_gateway: GatewayFactory,
) -> None:
    gateway = await start_gateway(cors_origins=["https://app.example"])
    preflight = {"Access-Control-Request-Method": "POST"}

    allowed = await gateway.options(
        "/v1/posts", headers={**preflight, "Origin": "https://app.example"}
    )
    refused = await gateway.options(
        "/v1/posts", headers={**preflight, "Origin": "https://evil.example"}
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert refused.status_code == 400
    assert refused.headers["content-type"] == PROBLEM


def test_cors_origins_are_read_from_a_comma_separated_variable(
    monkeypatch: pytest.MonkeyPatch, gateway_settings: SettingsFactory
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    from gateway.settings import GatewaySettings

    assert GatewaySettings().cors_origins == ["https://a.example", "https://b.example"]


def test_each_backend_is_found_at_its_own_url_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.settings import GatewaySettings

    monkeypatch.setenv("TIMELINE_URL", "http://timeline:8000")
    urls = GatewaySettings().backend_urls()

    assert list(urls) == list(Backend)
    assert urls[Backend.TIMELINE] == "http://timeline:8000"
    assert urls[Backend.USERS] == "http://127.0.0.1:8001"


async def test_the_web_client_is_served_at_the_root(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    (tmp_path / "index.html").write_text("<h1>CoPost</h1>")
    gateway = await start_gateway(static_dir=tmp_path)

    page = await gateway.get("/")
    missing = await gateway.get("/missing.js")

    assert page.status_code == 200
    assert "CoPost" in page.text
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM


async def test_ready_when_users_answers_and_keys_are_loaded(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"users": True, "jwks": True}


async def test_not_ready_without_the_users_service(start_gateway: GatewayFactory) -> None:
    gateway = await start_gateway(users_url=closed_port_url())

    response = await gateway.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM


async def test_readiness_probes_fetch_the_signing_keys_until_they_load(
    start_gateway: GatewayFactory, fake_services: FakeServicesState, signing_key: Ed25519PrivateKey
) -> None:
    fake_services.jwks = []
    gateway = await start_gateway()

    not_ready = await gateway.get("/readyz")
    fake_services.jwks = [public_jwk(signing_key, KEY_ID)]
    ready = await gateway.get("/readyz")

    assert not_ready.status_code == 503
    assert "jwks" in not_ready.json()["detail"]
    assert ready.status_code == 200


async def test_an_encoded_question_mark_stays_part_of_the_path(
    gateway: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await gateway.get("/v1/posts/a%3Fadmin=1", headers=auth)

    assert response.json() == {"id": "a?admin=1"}
