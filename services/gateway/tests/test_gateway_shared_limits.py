"""Limits that hold across gateway replicas (state in Redis): rate limits, and live streams
capped per account and per address (an IPv6 /64 counts as one), with each replica falling back
to its own counts while Redis is down."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from gateway.app import create_app
from gateway.domain import address_key
from services.gateway.tests.conftest import GatewayFactory, SettingsFactory, Signer

STREAM = "/v1/notifications/stream"

type Server = Callable[[FastAPI], AbstractAsyncContextManager[str]]


@asynccontextmanager
async def two_gateways(
    gateway_settings: SettingsFactory, loopback_server: Server, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two replicas on real sockets, sharing one Redis (the test's keys)."""
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            url = await stack.enter_async_context(
                loopback_server(create_app(gateway_settings(**overrides)))
            )
            clients.append(
                await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
            )
        yield clients[0], clients[1]


async def open_stream(
    streams: AsyncExitStack,
    gateway: httpx.AsyncClient,
    token: str,
    forwarded_for: str | None = None,
) -> int:
    """Opens a stream (kept open until `streams` closes); its status."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = await streams.enter_async_context(
        gateway.stream("GET", STREAM, params={"access_token": token}, headers=headers)
    )
    return response.status_code


def test_an_ipv6_client_counts_as_its_slash_64() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert address_key("192.0.2.7") == "192.0.2.7"


async def test_an_accounts_streams_are_capped_across_gateways(
    gateway_settings: SettingsFactory, loopback_server: Server, signer: Signer
) -> None:
    async with (
        two_gateways(gateway_settings, loopback_server, stream_max_per_account=2) as (a, b),
        AsyncExitStack() as streams,
    ):
        hoarder = signer.token("hoarder-id")
        assert await open_stream(streams, a, hoarder) == 200
        assert await open_stream(streams, b, hoarder) == 200

        refused = await b.get(STREAM, params={"access_token": hoarder})
        other = await open_stream(streams, a, signer.token("other-id"))

    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert other == 200


async def test_a_closed_stream_gives_its_slot_back(
    gateway_settings: SettingsFactory, loopback_server: Server, signer: Signer
) -> None:
    token = signer.token("one-id")
    async with two_gateways(gateway_settings, loopback_server, stream_max_per_account=1) as (a, b):
        for gateway in (a, b, a):
            async with AsyncExitStack() as streams:
                assert await open_stream(streams, gateway, token) == 200


async def test_accounts_from_one_ipv6_slash_64_share_one_allowance(
    gateway_settings: SettingsFactory, loopback_server: Server, signer: Signer
) -> None:
    async with (
        two_gateways(
            gateway_settings,
            loopback_server,
            stream_max_per_address=2,
            trusted_proxies="127.0.0.1",
        ) as (a, b),
        AsyncExitStack() as streams,
    ):
        opened = [
            await open_stream(streams, a, signer.token("first-id"), "2001:db8:0:1::1"),
            await open_stream(streams, b, signer.token("second-id"), "2001:db8:0:1::2"),
        ]
        refused = await a.get(
            STREAM,
            params={"access_token": signer.token("third-id")},
            headers={"X-Forwarded-For": "2001:db8:0:1:ffff::3"},
        )
        elsewhere = await open_stream(streams, b, signer.token("fourth-id"), "2001:db8:0:2::1")

    assert opened == [200, 200]
    assert refused.status_code == 429
    assert elsewhere == 200


async def test_a_users_rate_limit_holds_across_gateways(
    gateway_settings: SettingsFactory, loopback_server: Server, signer: Signer
) -> None:
    limits = {"user_rate_limit_per_minute": 1, "user_rate_limit_burst": 3}
    headers = {"Authorization": f"Bearer {signer.token('busy-id')}"}
    async with two_gateways(gateway_settings, loopback_server, **limits) as (a, b):
        answers = [
            (await gateway.get("/v1/posts/p1", headers=headers)).status_code
            for gateway in (a, b, a, b)
        ]
        others = await b.get("/v1/posts/p1", headers={"Authorization": f"Bearer {signer.token()}"})

    assert answers == [200, 200, 200, 429]
    assert others.status_code == 200


async def test_without_redis_each_gateway_still_limits_on_its_own(
    start_gateway: GatewayFactory, signer: Signer
) -> None:
    gateway = await start_gateway(
        redis_url="redis://127.0.0.1:1/0", user_rate_limit_per_minute=1, user_rate_limit_burst=2
    )
    headers = {"Authorization": f"Bearer {signer.token('busy-id')}"}

    answers = [(await gateway.get("/v1/posts/p1", headers=headers)).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
