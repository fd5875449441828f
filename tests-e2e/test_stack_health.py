"""The stack comes up as a whole: the gateway is alive and every dependency it checks answers."""

import httpx
from conftest import NewUser


async def test_gateway_is_alive(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_gateway_is_ready(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/readyz")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


async def test_a_new_account_reaches_its_profile_through_the_gateway(new_user: NewUser) -> None:
    alice = await new_user("alice")

    response = await alice.client.get("/v1/me")

    assert response.status_code == 200, response.text
    assert response.json()["handle"] == alice.handle
    assert response.json()["id"] == alice.id
