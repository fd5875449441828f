"""Service identity: who may say which user is calling, and who may call internal routes."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Depends, FastAPI

from shared.identity import (
    ASSERTION_HEADER,
    REQUEST_ID_HEADER,
    AssertionSigner,
    Caller,
    CurrentUserId,
    require_caller,
)
from shared.service_app import Kernel, ServiceSpec, create_service_app
from shared.settings import ServiceSettings
from shared.testing import TEST_SERVICE_KEYS, caller_headers, identity_headers, identity_settings


def guarded_app() -> FastAPI:
    """A service named `users` with one public route and one internal route for posts."""
    router = APIRouter()

    @router.get("/v1/me")
    async def me(user_id: CurrentUserId) -> dict[str, str]:
        return {"user_id": user_id}

    @router.get("/internal/thing")
    async def thing(
        caller: Annotated[Caller, Depends(require_caller("posts"))],
    ) -> dict[str, str]:
        return {"caller": caller.service}

    settings = ServiceSettings(service_name="users", **identity_settings("users"))
    return create_service_app(
        ServiceSpec(settings=settings, title="t", compose=nothing_to_compose, routers=[router])
    )


@asynccontextmanager
async def nothing_to_compose(_: Kernel[ServiceSettings]) -> AsyncIterator[None]:
    yield


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # No lifespan: the routes under test need neither the database nor the broker.
    transport = httpx.ASGITransport(app=guarded_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://users") as client:
        yield client


async def test_the_gateways_assertion_for_this_service_names_the_user(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/me", headers=identity_headers("u-1", "users"))

    assert response.json() == {"user_id": "u-1"}


def expired(headers: dict[str, str]) -> dict[str, str]:
    claims = {"iss": "gateway", "aud": "users", "sub": "u-1", "rid": headers[REQUEST_ID_HEADER]}
    past = int(time.time()) - 120
    token = jwt.encode(
        {**claims, "iat": past, "exp": past + 30},
        TEST_SERVICE_KEYS["gateway"],
        algorithm="EdDSA",
        headers={"kid": "gateway"},
    )
    return {**headers, ASSERTION_HEADER: token}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-CoPost-User-Id": "u-1"}, id="bare header"),
        pytest.param({}, id="nothing"),
        pytest.param(identity_headers("u-1", "posts"), id="for another service"),
        pytest.param(
            {**identity_headers("u-1", "users"), REQUEST_ID_HEADER: "another-request"},
            id="for another request",
        ),
        pytest.param(
            AssertionSigner("gateway", Ed25519PrivateKey.generate()).headers("users", "u-1"),
            id="signed with an unknown key",
        ),
        pytest.param(
            AssertionSigner("posts", TEST_SERVICE_KEYS["posts"]).headers("users", "u-1"),
            id="a user vouched for by a service that is not the gateway",
        ),
        pytest.param(expired(identity_headers("u-1", "users")), id="expired"),
    ],
)
async def test_a_call_without_the_gateways_valid_assertion_is_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/v1/me", headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_internal_route_answers_only_the_services_it_names(
    client: httpx.AsyncClient,
) -> None:
    allowed = await client.get("/internal/thing", headers=caller_headers("posts", "users"))
    other = await client.get("/internal/thing", headers=caller_headers("timeline", "users"))
    anonymous = await client.get("/internal/thing")

    assert (allowed.status_code, allowed.json()) == (200, {"caller": "posts"})
    assert (other.status_code, anonymous.status_code) == (403, 401)


@pytest.mark.parametrize("user_id", [None, "u-1", 'a "quoted" ünïcode id'])
def test_an_assertion_is_the_jwt_pyjwt_would_encode(user_id: str | None) -> None:
    key = TEST_SERVICE_KEYS["gateway"]

    token = AssertionSigner("gateway", key).sign("users", "request-1", user_id)

    claims = jwt.decode(token, key.public_key(), algorithms=["EdDSA"], audience="users")
    assert claims.get("sub") == user_id
    assert token == jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "gateway"})
