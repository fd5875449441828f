"""Fixtures of the federation tests: the service on real RabbitMQ and the embedded MongoDB,
and a remote server of the tests' own on a loopback port."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from federation_support import DOMAIN, FederationHarness, RemotePeer, SettingsFactory

from federation.app import create_app
from federation.settings import FederationSettings
from shared.clock import Clock, utc_now
from shared.testing import (
    DIRECTORY_USERS,
    event_injector,
    running_service,
    test_settings,
)


@pytest.fixture
def federation_settings(mongo_url: str, amqp_url: str, namespace: str) -> SettingsFactory:
    def make(**overrides: Any) -> FederationSettings:
        defaults = {
            "federation_domain": DOMAIN,
            "federation_scheme": "http",
            "allow_private_addresses": True,
        }
        return test_settings(
            FederationSettings,
            mongo_url=mongo_url,
            amqp_url=amqp_url,
            namespace=namespace,
            **(defaults | overrides),
        )

    return make


@pytest.fixture
def start_federation(
    federation_settings: SettingsFactory, amqp_url: str, namespace: str
) -> Callable[..., AbstractAsyncContextManager[FederationHarness]]:
    @asynccontextmanager
    async def start(clock: Clock = utc_now, **overrides: Any) -> AsyncIterator[FederationHarness]:
        app = create_app(federation_settings(**overrides), clock=clock)
        async with (
            running_service(app) as client,
            event_injector(app.state.runtime.db, amqp_url=amqp_url, namespace=namespace) as events,
        ):
            await events.register(*DIRECTORY_USERS)
            yield FederationHarness(app, client, events)

    return start


@pytest.fixture
async def federation(
    start_federation: Callable[..., AbstractAsyncContextManager[FederationHarness]],
) -> AsyncIterator[FederationHarness]:
    async with start_federation() as harness:
        yield harness


@pytest.fixture
async def peer() -> AsyncIterator[RemotePeer]:
    async with RemotePeer().served() as remote:
        yield remote
