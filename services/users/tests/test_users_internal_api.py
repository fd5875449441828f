"""The internal routes other services rely on: JWKS, eligibility, deleted accounts."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from shared.testing import caller_headers, identity_headers

type Register = Callable[..., Awaitable[dict[str, Any]]]

PASSWORD = "correct horse battery"


def as_posts() -> dict[str, str]:
    return caller_headers("posts", "users")


def as_gateway() -> dict[str, str]:
    return caller_headers("gateway", "users")


def as_user(user_id: str) -> dict[str, str]:
    return identity_headers(user_id, "users")


async def test_the_jwks_verifies_a_token_issued_by_the_token_endpoint(
    client: httpx.AsyncClient, register: Register
) -> None:
    user = await register("vera")
    issued = await client.post("/v1/auth/token", json={"handle": "vera", "password": PASSWORD})
    token = issued.json()["access_token"]

    jwks = (await client.get("/.well-known/jwks.json")).json()
    [jwk] = jwks["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    assert "d" not in jwk  # the public half only
    header = jwt.get_unverified_header(token)
    assert header["kid"] == jwk["kid"]

    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims = jwt.decode(
        token,
        key,
        algorithms=["EdDSA"],
        audience="copost",
        issuer="copost-users",
        options={"require": ["sub", "iss", "aud", "iat", "exp"]},
    )
    assert claims["sub"] == user["id"]
    assert claims["exp"] - claims["iat"] == 900


@pytest.fixture
async def cast(client: httpx.AsyncClient, register: Register) -> dict[str, dict[str, Any]]:
    """An inviter and one invitee per eligibility answer."""
    users = {
        handle: await register(handle)
        for handle in ("ann", "eve", "fay", "gus", "nel", "bob", "cat")
    }

    async def call(method: str, path: str, actor: str, body: dict[str, str] | None = None) -> None:
        response = await client.request(
            method, path, headers=as_user(users[actor]["id"]), json=body
        )
        assert response.status_code in {200, 204}, response.text

    await call("PATCH", "/v1/me", "eve", {"collab_policy": "everyone"})
    await call("PUT", "/v1/users/ann/follow", "fay")  # fay keeps the default: following
    await call("PATCH", "/v1/me", "nel", {"collab_policy": "nobody"})
    await call("PUT", "/v1/users/ann/follow", "nel")
    for blocked in ("bob", "cat"):
        await call("PATCH", "/v1/me", blocked, {"collab_policy": "everyone"})
    await call("PUT", "/v1/users/bob/block", "ann")
    await call("PUT", "/v1/users/ann/block", "cat")
    return users


EXPECTED_ANSWERS = [
    ("eve", True, None),
    ("FAY", True, None),
    ("gus", False, "policy_following"),
    ("nel", False, "policy_nobody"),
    ("bob", False, "blocked"),
    ("cat", False, "blocked"),
    ("ann", False, "self"),
    ("ghost", False, "unknown_user"),
    ("not a handle!", False, "unknown_user"),
]


async def test_eligibility_by_handle_gives_every_reason_in_input_order(
    client: httpx.AsyncClient, cast: dict[str, dict[str, Any]]
) -> None:
    response = await client.post(
        "/internal/eligibility",
        headers=as_posts(),
        json={
            "inviter_id": cast["ann"]["id"],
            "invitee_handles": [handle for handle, _, _ in EXPECTED_ANSWERS],
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["eligible"], r["reason"]) for r in results] == [
        (eligible, reason) for _, eligible, reason in EXPECTED_ANSWERS
    ]
    assert results[1]["handle"] == "fay"
    assert results[1]["user"] == cast["fay"]
    assert results[1]["user_id"] == cast["fay"]["id"]
    assert (results[7]["handle"], results[7]["user_id"], results[7]["user"]) == (
        "ghost",
        None,
        None,
    )


async def test_eligibility_by_id_gives_the_same_answers(
    client: httpx.AsyncClient, cast: dict[str, dict[str, Any]]
) -> None:
    known = [(h.lower(), e, r) for h, e, r in EXPECTED_ANSWERS if h.lower() in cast]
    response = await client.post(
        "/internal/eligibility",
        headers=as_posts(),
        json={
            "inviter_id": cast["ann"]["id"],
            "invitee_ids": [cast[handle]["id"] for handle, _, _ in known] + ["no-such-id"],
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["handle"], r["eligible"], r["reason"]) for r in results] == [
        *known,
        (None, False, "unknown_user"),
    ]


async def test_an_unknown_or_deleted_inviter_may_invite_nobody(
    client: httpx.AsyncClient, cast: dict[str, dict[str, Any]]
) -> None:
    await client.delete("/v1/me", headers=as_user(cast["fay"]["id"]))
    for inviter_id in (cast["fay"]["id"], "no-such-id"):
        response = await client.post(
            "/internal/eligibility",
            headers=as_posts(),
            json={"inviter_id": inviter_id, "invitee_handles": ["eve", "ghost"]},
        )
        reasons = [r["reason"] for r in response.json()["results"]]
        assert reasons == ["inviter_unknown", "unknown_user"]


@pytest.mark.parametrize(
    "body",
    [
        {"inviter_id": "a"},
        {"inviter_id": "a", "invitee_handles": ["x"], "invitee_ids": ["y"]},
        {"invitee_handles": ["x"]},
        {"inviter_id": "a", "invitee_handles": ["x"] * 101},
    ],
)
async def test_an_eligibility_question_asked_wrong_is_422(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    assert (
        await client.post("/internal/eligibility", json=body, headers=as_posts())
    ).status_code == 422


async def test_deleted_users_lists_accounts_deleted_since_the_given_time(
    client: httpx.AsyncClient, register: Register
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    kept, gone = await register("wade"), await register("xena")
    await client.delete("/v1/me", headers=as_user(gone["id"]))

    response = await client.get(
        "/internal/deleted-users", params={"since": before.isoformat()}, headers=as_gateway()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user_ids"] == [gone["id"]]
    assert kept["id"] not in body["user_ids"]
    assert datetime.fromisoformat(body["as_of"]) <= datetime.now(UTC)

    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    response = await client.get(
        "/internal/deleted-users", params={"since": later}, headers=as_gateway()
    )
    assert response.json()["user_ids"] == []


async def test_deleted_users_needs_a_valid_since(client: httpx.AsyncClient) -> None:
    assert (await client.get("/internal/deleted-users", headers=as_gateway())).status_code == 422
    response = await client.get(
        "/internal/deleted-users", params={"since": "yesterday"}, headers=as_gateway()
    )
    assert response.status_code == 422
