"""Sessions through the gateway (API.md, third round): the refresh cookie renews the access
token, rotation spends the old one, a replay ends the session, sign-out ends it."""

import httpx
from conftest import E2E_PASSWORD, E2EUser


async def signed_in(gateway: httpx.AsyncClient, user: E2EUser) -> httpx.Response:
    response = await gateway.post(
        "/v1/auth/token", json={"handle": user.handle, "password": E2E_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response


async def test_the_refresh_cookie_renews_the_access_token_and_is_rotated(
    gateway: httpx.AsyncClient, ada: E2EUser
) -> None:
    first = (await signed_in(gateway, ada)).json()
    # The cookie (not Secure on 127.0.0.1, where the stack is) goes back to /v1/auth only.
    assert gateway.cookies.get("copost_refresh") == first["refresh_token"]

    renewed = await gateway.post("/v1/auth/refresh")

    assert renewed.status_code == 200, renewed.text
    second = renewed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert gateway.cookies.get("copost_refresh") == second["refresh_token"]
    me = await gateway.get("/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me.json()["id"] == ada.id


async def test_a_replayed_refresh_token_ends_the_session_for_everyone_holding_it(
    gateway: httpx.AsyncClient, ada: E2EUser
) -> None:
    stolen = (await signed_in(gateway, ada)).json()["refresh_token"]
    owner = await gateway.post("/v1/auth/refresh", json={"refresh_token": stolen})
    assert owner.status_code == 200

    thief = await gateway.post("/v1/auth/refresh", json={"refresh_token": stolen})
    after = await gateway.post(
        "/v1/auth/refresh", json={"refresh_token": owner.json()["refresh_token"]}
    )

    assert thief.status_code == 401
    assert after.status_code == 401


async def test_logout_ends_the_session_and_clears_the_cookie(
    gateway: httpx.AsyncClient, ada: E2EUser
) -> None:
    session = (await signed_in(gateway, ada)).json()

    out = await gateway.post(
        "/v1/auth/logout", headers={"Authorization": f"Bearer {session['access_token']}"}
    )

    assert out.status_code == 204
    assert gateway.cookies.get("copost_refresh") is None
    refused = await gateway.post(
        "/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refused.status_code == 401
