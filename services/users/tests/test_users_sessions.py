"""Sessions (API.md, third round): a refresh token with every sign-in, rotated on each use;
a spent one presented again ends the whole session; sign-out ends it; stored hashed."""

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from services.users.tests.conftest import PASSWORD
from shared.testing import identity_headers
from users.settings import UsersSettings

type Register = Callable[..., Awaitable[dict[str, Any]]]


async def signed_in(client: httpx.AsyncClient, handle: str) -> dict[str, Any]:
    response = await client.post("/v1/auth/token", json={"handle": handle, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: dict[str, Any] = response.json()
    return token


async def refreshed(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})


async def test_a_sign_in_gives_a_refresh_token_also_as_a_strict_http_only_cookie(
    client: httpx.AsyncClient, register: Register
) -> None:
    await register("ada")
    response = await client.post("/v1/auth/token", json={"handle": "ada", "password": PASSWORD})

    body = response.json()
    assert body["refresh_token"]
    assert body["refresh_expires_in"] == 30 * 86400
    cookie = next(
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith("copost_refresh=")
    ).lower()
    assert f"copost_refresh={body['refresh_token']}".lower() in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/v1/auth" in cookie
    # Outside localhost (here the test client's host) the cookie is Secure.
    assert "secure" in cookie


async def test_refreshing_rotates_and_the_old_token_is_spent(
    client: httpx.AsyncClient, register: Register
) -> None:
    user = await register("ada")
    first = await signed_in(client, "ada")

    renewed = await refreshed(client, first["refresh_token"])

    assert renewed.status_code == 200, renewed.text
    second = renewed.json()
    assert second["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    me = await client.get("/v1/me", headers=identity_headers(user["id"], "users"))
    assert me.status_code == 200


async def test_a_spent_token_presented_again_ends_the_whole_session(
    client: httpx.AsyncClient, register: Register
) -> None:
    await register("ada")
    first = await signed_in(client, "ada")
    second = (await refreshed(client, first["refresh_token"])).json()

    replayed = await refreshed(client, first["refresh_token"])

    assert replayed.status_code == 401
    assert replayed.headers["content-type"].startswith("application/problem+json")
    # The thief's replay revoked the family: the owner's newest token is refused too.
    assert (await refreshed(client, second["refresh_token"])).status_code == 401


async def test_one_token_presented_at_once_many_times_is_spent_once(
    client: httpx.AsyncClient, register: Register
) -> None:
    await register("ada")
    first = await signed_in(client, "ada")

    answers = await asyncio.gather(*(refreshed(client, first["refresh_token"]) for _ in range(8)))

    assert sorted(answer.status_code for answer in answers) == [200] + [401] * 7


async def test_other_sessions_survive_one_ending(
    client: httpx.AsyncClient, register: Register
) -> None:
    await register("ada")
    phone, laptop = await signed_in(client, "ada"), await signed_in(client, "ada")
    await refreshed(client, phone["refresh_token"])
    await refreshed(client, phone["refresh_token"])

    assert (await refreshed(client, laptop["refresh_token"])).status_code == 200


async def test_the_cookie_refreshes_when_the_body_has_no_token(
    client: httpx.AsyncClient, register: Register
) -> None:
    await register("ada")
    first = await signed_in(client, "ada")

    renewed = await client.post(
        "/v1/auth/refresh", headers={"cookie": f"copost_refresh={first['refresh_token']}"}
    )

    assert renewed.status_code == 200, renewed.text


async def test_garbage_or_no_token_is_a_401(client: httpx.AsyncClient) -> None:
    client.cookies.clear()
    assert (await client.post("/v1/auth/refresh")).status_code == 401
    assert (await refreshed(client, "not-a-token")).status_code == 401
    too_long = await refreshed(client, "x" * 1000)
    assert too_long.status_code == 422


async def test_logout_ends_the_session(client: httpx.AsyncClient, register: Register) -> None:
    user = await register("ada")
    session = await signed_in(client, "ada")

    out = await client.post(
        "/v1/auth/logout",
        json={"refresh_token": session["refresh_token"]},
        headers=identity_headers(user["id"], "users"),
    )

    assert out.status_code == 204
    assert (await refreshed(client, session["refresh_token"])).status_code == 401


async def test_logout_needs_the_caller(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/auth/logout")).status_code == 401


async def test_refresh_tokens_are_stored_hashed(
    client: httpx.AsyncClient, register: Register, users_settings: UsersSettings
) -> None:
    await register("ada")
    session = await signed_in(client, "ada")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        users_settings.mongo_url.get_secret_value()
    )
    try:
        stored = await mongo[users_settings.database_name]["refresh_tokens"].find_one(
            {"_id": hashlib.sha256(session["refresh_token"].encode()).hexdigest()}
        )
        raw = await mongo[users_settings.database_name]["refresh_tokens"].find_one(
            {"_id": session["refresh_token"]}
        )
    finally:
        await mongo.close()
    assert stored is not None
    assert session["refresh_token"] not in str(stored)
    assert raw is None


async def test_a_deleted_account_cannot_refresh(
    client: httpx.AsyncClient, register: Register
) -> None:
    user = await register("ada")
    session = await signed_in(client, "ada")
    deleted = await client.delete("/v1/me", headers=identity_headers(user["id"], "users"))
    assert deleted.status_code == 204

    assert (await refreshed(client, session["refresh_token"])).status_code == 401
