"""Revocation the same on every route, token lifetimes tied to it, and keys kept fresh."""

import time

import httpx

from services.gateway.tests.conftest import FakeServicesState, GatewayFactory, Signer
from shared.testing import wait_until

ROUTES = ["/v1/me", "/v1/timeline", "/v1/notifications", "/v1/invitations", "/v1/posts/p1"]


async def test_a_deleted_accounts_token_is_refused_on_every_route_at_once(
    start_gateway: GatewayFactory, signer: Signer
) -> None:
    # A poll so slow it never runs during the test: only the deletion itself can revoke.
    gateway = await start_gateway(deleted_users_poll_seconds=3600)
    token = {"Authorization": f"Bearer {signer.token('leaving-id')}"}

    deleted = await gateway.delete("/v1/me", headers=token)
    statuses = [(await gateway.get(route, headers=token)).status_code for route in ROUTES]

    assert deleted.status_code == 200
    assert statuses == [401] * len(ROUTES)


async def test_a_deletion_through_one_gateway_is_refused_by_the_others_at_once(
    start_gateway: GatewayFactory, signer: Signer
) -> None:
    # No poll of the users service during the test: only the notice through Redis can tell.
    serving, other = [await start_gateway(deleted_users_poll_seconds=3600) for _ in range(2)]
    token = {"Authorization": f"Bearer {signer.token('leaving-id')}"}
    assert (await other.get("/v1/me", headers=token)).status_code == 200

    deleted = await serving.delete("/v1/me", headers=token)

    async def refused_by_the_other() -> bool:
        return (await other.get("/v1/me", headers=token)).status_code == 401

    assert deleted.status_code == 200
    await wait_until(refused_by_the_other, timeout=2)
    # A gateway started afterwards reads the notices it missed.
    late = await start_gateway(deleted_users_poll_seconds=3600)
    await wait_until(lambda: _refused(late, token), timeout=2)


async def _refused(gateway: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    return (await gateway.get("/v1/me", headers=headers)).status_code == 401


async def test_a_token_living_longer_than_the_revocation_memory_is_refused(
    start_gateway: GatewayFactory, signer: Signer
) -> None:
    gateway = await start_gateway(max_token_lifetime_seconds=900)
    now = int(time.time())
    long_lived = signer.token("alice-id", iat=now, exp=now + 901)
    normal = signer.token("alice-id", iat=now, exp=now + 900)

    refused = await gateway.get("/v1/me", headers={"Authorization": f"Bearer {long_lived}"})
    accepted = await gateway.get("/v1/me", headers={"Authorization": f"Bearer {normal}"})

    assert (refused.status_code, accepted.status_code) == (401, 200)


async def test_the_key_set_is_fetched_again_periodically(
    start_gateway: GatewayFactory, fake_services: FakeServicesState
) -> None:
    await start_gateway(jwks_refresh_seconds=0.05, jwks_refetch_min_seconds=3600)

    await wait_until(lambda: fake_services.jwks_fetches >= 3)
