"""Service identity: who may say which user is calling, and who may call internal routes."""

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
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
    body_digest,
    require_caller,
    write_env_files,
)
from shared.service_app import Kernel, ServiceSpec, create_service_app
from shared.settings import ServiceSettings
from shared.testing import (
    TEST_SERVICE_KEYS,
    caller_headers,
    identity_headers,
    identity_settings,
    signing_client,
)


def guarded_app() -> FastAPI:
    """A service named `users` with one public route and one internal route for posts."""
    router = APIRouter()

    @router.get("/v1/me")
    async def me(user_id: CurrentUserId) -> dict[str, str]:
        return {"user_id": user_id}

    @router.patch("/v1/me")
    async def change_me(user_id: CurrentUserId) -> dict[str, str]:
        return {"changed": user_id}

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
    async with signing_client(transport=transport, base_url="http://users") as client:
        yield client


async def test_the_gateways_assertion_for_this_service_names_the_user(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/me", headers=identity_headers("u-1", "users"))

    assert response.json() == {"user_id": "u-1"}


def forged(**changes: object) -> dict[str, str]:
    """The gateway's assertion for `GET /v1/me` as u-1 (request r-1), with `changes` made to
    its claims; signed with the gateway's key unless `key` is given."""
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": "gateway",
        "aud": "users",
        "sub": "u-1",
        "rid": "r-1",
        "htm": "GET",
        "htu": "/v1/me",
        "bdg": body_digest(b""),
        "iat": now,
        "exp": now + 30,
    }
    key = changes.pop("key", TEST_SERVICE_KEYS["gateway"])
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}  # None: left out
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": str(claims["iss"])})  # type: ignore[arg-type]
    return {REQUEST_ID_HEADER: "r-1", ASSERTION_HEADER: token}


async def test_a_well_formed_assertion_passes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/me", headers=forged())).status_code == 200


PAST = int(time.time()) - 120


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-CoPost-User-Id": "u-1"}, id="bare header"),
        pytest.param({}, id="nothing"),
        pytest.param(forged(aud="posts"), id="for another service"),
        pytest.param(forged(rid="another-request"), id="for another request"),
        pytest.param(forged(key=Ed25519PrivateKey.generate()), id="signed with an unknown key"),
        pytest.param(
            forged(iss="posts", key=TEST_SERVICE_KEYS["posts"]),
            id="a user vouched for by a service that is not the gateway",
        ),
        pytest.param(forged(iat=PAST, exp=PAST + 30), id="expired"),
        # Issue 23: a captured assertion was good for another method, path or body, for ten
        # years, or for several services at once.
        pytest.param(forged(htu="/v1/me/export"), id="for another path"),
        pytest.param(forged(bdg=body_digest(b"{}")), id="for another body"),
        pytest.param(forged(exp=int(time.time()) + 10 * 365 * 86400), id="ten years long"),
        pytest.param(forged(aud=["users", "posts"]), id="several audiences"),
        pytest.param(forged(iat=PAST + 600, exp=PAST + 620), id="issued in the future"),
        pytest.param(forged(exp=str(int(time.time()) + 30)), id="a lifetime not in seconds"),
        pytest.param(forged(rid=None), id="a claim missing"),
        pytest.param({REQUEST_ID_HEADER: "r-1", ASSERTION_HEADER: "e30.e30.AAAA"}, id="not signed"),
    ],
)
async def test_a_call_without_the_gateways_valid_assertion_is_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/v1/me", headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_captured_get_assertion_does_not_work_as_a_patch(
    client: httpx.AsyncClient,
) -> None:
    """Issue 23's finding: a captured GET assertion, same request id, worked as PATCH /v1/me."""
    captured = forged()

    assert (await client.get("/v1/me", headers=captured)).status_code == 200
    assert (await client.patch("/v1/me", headers=captured)).status_code == 401


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

    token = AssertionSigner("gateway", key).sign(
        "users", "request-1", user_id, method="POST", target="/v1/posts?x=1", body=b"{}"
    )

    claims = jwt.decode(token, key.public_key(), algorithms=["EdDSA"], audience="users")
    assert claims.get("sub") == user_id
    assert token == jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "gateway"})


def test_compose_env_files_are_kept_until_a_process_is_added(tmp_path: Path) -> None:
    write_env_files(tmp_path, ["gateway", "users"])
    first = (tmp_path / "users.env").read_text()

    write_env_files(tmp_path, ["gateway", "users"])
    assert (tmp_path / "users.env").read_text() == first  # a running stack keeps its keys

    write_env_files(tmp_path, ["gateway", "users", "media"])
    for name in ("gateway", "users", "media"):
        written = (tmp_path / f"{name}.env").read_text()
        public = json.loads(written.split("SERVICE_PUBLIC_KEYS=", 1)[1])
        assert set(public) == {"gateway", "users", "media"}, name
