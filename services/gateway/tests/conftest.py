"""Fixtures for the gateway: real fake services on loopback ports, keys, tokens, a gateway."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from jwt.algorithms import OKPAlgorithm
from pydantic import BaseModel

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.identity import AssertionVerifier, Caller, decode_public_key, request_target
from shared.services import Backend as Upstream
from shared.testing import (
    TEST_SERVICE_PUBLIC_KEYS,
    identity_settings,
    redis_key_prefix,
    running_app,
    served_over_http,
)

ISSUER = "copost-users"
AUDIENCE = "copost"
KEY_ID = "key-1"


def public_jwk(private_key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(private_key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "EdDSA"}


@dataclass
class Signer:
    """Issues tokens the way the users service does, with knobs to break them."""

    private_key: Ed25519PrivateKey
    kid: str = KEY_ID

    def claims(self, user_id: str = "user-1", **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"sub": user_id, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 900}
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(self, user_id: str = "user-1", **overrides: Any) -> str:
        return self.sign(self.claims(user_id, **overrides))

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})


@dataclass
class FakeServicesState:
    """What the fake services answer; tests change it, and it is reset for each test."""

    jwks: list[dict[str, Any]] = field(default_factory=list)
    jwks_fetches: int = 0
    deleted: list[tuple[str, datetime]] = field(default_factory=list)
    # The notifications stream holds its second event until a test releases it.
    release_second_event: asyncio.Event = field(default_factory=asyncio.Event)
    # The slow posts route answers only once the test is over.
    release_slow_answer: asyncio.Event = field(default_factory=asyncio.Event)

    def delete_user(self, user_id: str) -> None:
        self.deleted.append((user_id, datetime.now(UTC)))


def asserted_caller(received: dict[str, Any]) -> Caller:
    """Who the gateway's assertion, as an echoing fake service received it, says is calling."""
    keys = {name: decode_public_key(key) for name, key in TEST_SERVICE_PUBLIC_KEYS.items()}
    verifier = AssertionVerifier(received["service"], keys)
    headers = received["headers"]
    return verifier.verify(
        headers.get("x-copost-assertion"),
        headers.get("x-request-id"),
        method=received["method"],
        target=received["target"],
        body=received["body"].encode(),
    )


class NewUser(BaseModel):
    handle: str
    password: str


async def echo(service: str, request: Request) -> dict[str, Any]:
    return {
        "service": service,
        "method": request.method,
        "path": request.url.path,
        "target": request_target(request.scope),
        "query": request.query_params.multi_items(),
        "headers": dict(request.headers.items()),
        "body": (await request.body()).decode(),
    }


def fake_service_app(service: Upstream, state: FakeServicesState) -> FastAPI:
    """A stand-in for one service: an echo of what it receives, plus the routes tests need."""
    app = FastAPI(title=f"fake {service}")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if service is Upstream.USERS:
        _add_users_routes(app, state)
    if service is Upstream.POSTS:
        _add_posts_routes(app, state)
    if service is Upstream.TIMELINE:
        _add_timeline_routes(app)
    if service is Upstream.NOTIFICATIONS:
        _add_notifications_routes(app, state)

    @app.api_route(
        "/{path:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def echo_anything(request: Request) -> dict[str, Any]:
        return await echo(service, request)

    return app


def _add_users_routes(app: FastAPI, state: FakeServicesState) -> None:
    @app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, Any]:
        state.jwks_fetches += 1
        return {"keys": state.jwks}

    @app.get("/internal/deleted-users")
    async def deleted_users(since: datetime) -> dict[str, Any]:
        user_ids = [user_id for user_id, deleted_at in state.deleted if deleted_at >= since]
        return {"user_ids": user_ids, "as_of": datetime.now(UTC).isoformat()}

    @app.post("/v1/users", status_code=201)
    async def register(user: NewUser, request: Request) -> dict[str, Any]:
        return await echo(Upstream.USERS, request)


def _add_posts_routes(app: FastAPI, state: FakeServicesState) -> None:
    @app.get("/v1/posts/slow", include_in_schema=False)
    async def slow() -> None:
        await state.release_slow_answer.wait()

    @app.get("/v1/posts/plain-error", include_in_schema=False)
    async def plain_error() -> PlainTextResponse:
        return PlainTextResponse("boom", status_code=500)

    @app.get("/v1/posts/{post_id}")
    async def get_post(post_id: str) -> dict[str, str]:
        return {"id": post_id}


def _add_timeline_routes(app: FastAPI) -> None:
    @app.get("/v1/users/{handle}/posts")
    async def profile_posts(handle: str, request: Request) -> dict[str, Any]:
        return await echo(Upstream.TIMELINE, request)

    # Documented by the wrong service: the merged document must leave it out.
    @app.get("/v1/posts/misplaced")
    async def misplaced() -> dict[str, str]:
        return {}


def _add_notifications_routes(app: FastAPI, state: FakeServicesState) -> None:
    @app.get("/v1/notifications/stream", response_model=None)
    async def stream(request: Request) -> StreamingResponse | JSONResponse:
        if "finite" in request.query_params:
            return JSONResponse(await echo(Upstream.NOTIFICATIONS, request))

        async def events() -> AsyncIterator[bytes]:
            yield b"event: notification\ndata: first\n\n"
            await state.release_second_event.wait()
            yield b"event: notification\ndata: second\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def shared_state() -> FakeServicesState:
    return FakeServicesState()


@pytest.fixture
def fake_services(
    shared_state: FakeServicesState, signing_key: Ed25519PrivateKey
) -> Iterator[FakeServicesState]:
    shared_state.jwks = [public_jwk(signing_key, KEY_ID)]
    shared_state.jwks_fetches = 0
    shared_state.deleted = []
    shared_state.release_second_event = asyncio.Event()
    shared_state.release_slow_answer = asyncio.Event()
    yield shared_state
    # Held-back answers end with the test, so no request outlives it.
    shared_state.release_second_event.set()
    shared_state.release_slow_answer.set()


@pytest.fixture
def signer(signing_key: Ed25519PrivateKey) -> Signer:
    return Signer(signing_key)


@pytest.fixture(scope="session")
async def upstream_urls(shared_state: FakeServicesState) -> AsyncIterator[dict[Upstream, str]]:
    async with (
        served_over_http(fake_service_app(Upstream.USERS, shared_state)) as users,
        served_over_http(fake_service_app(Upstream.POSTS, shared_state)) as posts,
        served_over_http(fake_service_app(Upstream.INVITATIONS, shared_state)) as invitations,
        served_over_http(fake_service_app(Upstream.TIMELINE, shared_state)) as timeline,
        served_over_http(fake_service_app(Upstream.NOTIFICATIONS, shared_state)) as notifications,
        served_over_http(fake_service_app(Upstream.FEDERATION, shared_state)) as federation,
    ):
        yield {
            Upstream.USERS: users,
            Upstream.POSTS: posts,
            Upstream.INVITATIONS: invitations,
            Upstream.TIMELINE: timeline,
            Upstream.NOTIFICATIONS: notifications,
            Upstream.FEDERATION: federation,
        }


type SettingsFactory = Callable[..., GatewaySettings]
type GatewayFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
def gateway_settings(
    upstream_urls: dict[Upstream, str], fake_services: FakeServicesState, namespace: str
) -> SettingsFactory:
    """Gateways made by one test share their state in Redis, apart from other tests'."""

    def make(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = (
            {f"{upstream}_url": url for upstream, url in upstream_urls.items()}
            | {
                "deleted_users_poll_seconds": 0.05,
                "jwks_refetch_min_seconds": 0.0,
                "upstream_timeout_seconds": 2.0,
                "max_body_bytes": 1024,
                "redis_key_prefix": redis_key_prefix(namespace),
            }
            | identity_settings("gateway")
        )
        return GatewaySettings(**(values | overrides))

    return make


@pytest.fixture
async def start_gateway(gateway_settings: SettingsFactory) -> AsyncIterator[GatewayFactory]:
    """Starts gateways (lifespan included) with settings overrides; stops them all after."""
    async with AsyncExitStack() as stack:

        async def start(**overrides: Any) -> httpx.AsyncClient:
            app = create_app(gateway_settings(**overrides))
            return await stack.enter_async_context(running_app(app))

        yield start


@pytest.fixture
async def gateway(start_gateway: GatewayFactory) -> httpx.AsyncClient:
    return await start_gateway()


@pytest.fixture
def loopback_server() -> Callable[[FastAPI], AbstractAsyncContextManager[str]]:
    return served_over_http
