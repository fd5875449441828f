"""Authentication at the gateway: forged and broken tokens are refused, identity is forwarded."""

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.gateway.tests.conftest import (
    AUDIENCE,
    FakeServicesState,
    GatewayFactory,
    Signer,
    asserted_caller,
    public_jwk,
)
from shared.identity import Caller
from shared.testing import wait_until


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def alg_none_token(signer: Signer) -> str:
    return _unsigned({"alg": "none", "typ": "JWT", "kid": signer.kid}, signer.claims()) + "."


def hs256_with_public_key_token(signer: Signer) -> str:
    """Algorithm confusion: an HMAC keyed with the (public) verification key."""
    public_pem = signer.private_key.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = _unsigned({"alg": "HS256", "typ": "JWT", "kid": signer.kid}, signer.claims())
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


def other_key_same_kid_token(signer: Signer) -> str:
    return Signer(Ed25519PrivateKey.generate(), kid=signer.kid).token()


BAD_TOKENS: dict[str, Callable[[Signer], str | None]] = {
    "no token": lambda _: None,
    "garbage": lambda _: "not-a-jwt",
    "alg none": alg_none_token,
    "HS256 signed with the public key": hs256_with_public_key_token,
    "another key under the same kid": other_key_same_kid_token,
    "unknown kid": lambda signer: Signer(signer.private_key, kid="nobody-knows").token(),
    "wrong audience": lambda signer: signer.token(aud="someone-else"),
    "wrong issuer": lambda signer: signer.token(iss="evil-issuer"),
    "expired": lambda signer: signer.token(exp=int(time.time()) - 3600),
    "missing exp": lambda signer: signer.sign(signer.claims(exp=None)),
    "missing sub": lambda signer: signer.sign(signer.claims(sub=None)),
    "missing iat": lambda signer: signer.sign(signer.claims(iat=None)),
    "empty sub": lambda signer: signer.token(""),
}


@pytest.mark.parametrize("attack", list(BAD_TOKENS))
async def test_a_missing_forged_or_invalid_token_is_refused_with_401(
    gateway: httpx.AsyncClient, signer: Signer, attack: str
) -> None:
    token = BAD_TOKENS[attack](signer)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}

    response = await gateway.get("/v1/me", headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


async def test_a_valid_token_reaches_the_service_with_the_verified_user_id(
    gateway: httpx.AsyncClient, signer: Signer
) -> None:
    response = await gateway.get(
        "/v1/me",
        headers={
            "Authorization": f"Bearer {signer.token('alice-id')}",
            "X-CoPost-User-Id": "mallory-id",
            "X-Request-ID": "req-123",
        },
    )

    assert response.status_code == 200
    received = response.json()
    assert received["service"] == "users"
    assert asserted_caller(received) == Caller("gateway", "alice-id")
    assert "x-copost-user-id" not in received["headers"]
    assert "authorization" not in received["headers"]
    assert received["headers"]["x-request-id"] == "req-123"
    assert response.headers["x-request-id"] == "req-123"


async def test_the_service_receives_the_request_id_the_client_is_given(
    gateway: httpx.AsyncClient, signer: Signer
) -> None:
    response = await gateway.get("/v1/me", headers={"Authorization": f"Bearer {signer.token()}"})

    assert response.json()["headers"]["x-request-id"] == response.headers["x-request-id"]


async def test_public_endpoints_need_no_token_and_never_carry_a_client_identity(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.post(
        "/v1/users",
        json={"handle": "alice", "password": "secret-password"},
        headers={"X-CoPost-User-Id": "mallory-id"},
    )

    assert response.status_code == 201
    assert "x-copost-user-id" not in response.json()["headers"]
    assert asserted_caller(response.json()) == Caller("gateway", None)


async def test_the_stream_route_accepts_the_token_as_a_query_parameter_and_strips_it(
    gateway: httpx.AsyncClient, signer: Signer
) -> None:
    token = signer.token("alice-id")

    response = await gateway.get(
        "/v1/notifications/stream", params={"access_token": token, "finite": "1"}
    )

    assert response.status_code == 200
    received = response.json()
    assert asserted_caller(received) == Caller("gateway", "alice-id")
    assert received["query"] == [["finite", "1"]]


async def test_other_routes_refuse_a_query_token(
    gateway: httpx.AsyncClient, signer: Signer
) -> None:
    response = await gateway.get("/v1/notifications", params={"access_token": signer.token()})

    assert response.status_code == 401


async def test_tokens_of_a_deleted_account_stop_working(
    gateway: httpx.AsyncClient, signer: Signer, fake_services: FakeServicesState
) -> None:
    headers = {"Authorization": f"Bearer {signer.token('doomed-id')}"}
    assert (await gateway.get("/v1/me", headers=headers)).status_code == 200

    fake_services.delete_user("doomed-id")

    async def refused() -> bool:
        return (await gateway.get("/v1/me", headers=headers)).status_code == 401

    await wait_until(refused, timeout=5)
    other = {"Authorization": f"Bearer {signer.token('survivor-id')}"}
    assert (await gateway.get("/v1/me", headers=other)).status_code == 200


async def test_an_account_deleted_before_the_gateway_started_is_revoked_too(
    start_gateway: GatewayFactory, signer: Signer, fake_services: FakeServicesState
) -> None:
    fake_services.delete_user("gone-id")
    gateway = await start_gateway()
    headers = {"Authorization": f"Bearer {signer.token('gone-id')}"}

    async def refused() -> bool:
        return (await gateway.get("/v1/me", headers=headers)).status_code == 401

    await wait_until(refused, timeout=5)


async def test_a_new_signing_key_is_fetched_when_a_token_names_an_unknown_kid(
    gateway: httpx.AsyncClient, fake_services: FakeServicesState
) -> None:
    rotated = Ed25519PrivateKey.generate()
    fake_services.jwks.append(public_jwk(rotated, "key-2"))

    token = Signer(rotated, kid="key-2").token("alice-id")
    response = await gateway.get("/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


async def test_unknown_kids_refetch_the_key_set_at_most_once_per_interval(
    start_gateway: GatewayFactory, fake_services: FakeServicesState, signer: Signer
) -> None:
    gateway = await start_gateway(jwks_refetch_min_seconds=60)
    fetches_at_start = fake_services.jwks_fetches

    for kid in ("random-1", "random-2", "random-3"):
        token = Signer(signer.private_key, kid=kid).token()
        response = await gateway.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401

    assert fake_services.jwks_fetches == fetches_at_start


async def test_a_token_for_another_audience_setting_is_refused(
    start_gateway: GatewayFactory, signer: Signer
) -> None:
    gateway = await start_gateway(jwt_audience="other-" + AUDIENCE)

    response = await gateway.get("/v1/me", headers={"Authorization": f"Bearer {signer.token()}"})

    assert response.status_code == 401


async def test_the_stream_token_appears_in_no_log_line(
    gateway: httpx.AsyncClient, signer: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue: the stream's access_token query parameter ended up in access logs."""
    token = signer.token("alice-id")
    caplog.set_level(logging.DEBUG)

    for params in ({"access_token": token, "finite": "1"}, {"access_token": token + "x"}):
        await gateway.get("/v1/notifications/stream", params=params)

    assert caplog.records  # the access log did run
    assert not [record for record in caplog.records if token in record.getMessage()]
    assert not [record for record in caplog.records if token in str(record.__dict__)]
