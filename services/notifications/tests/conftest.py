"""Fixtures of the notifications tests: the service on real RabbitMQ and the embedded MongoDB."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from notifications.app import create_app
from notifications.settings import NotificationsSettings
from notifications.testing import NotificationsHarness, served_over_http
from shared.bus import EventBus
from shared.settings import ServiceSettings
from shared.testing import running_service, test_settings

type SettingsFactory = Callable[..., NotificationsSettings]


@pytest.fixture
def notifications_settings(mongo_url: str, amqp_url: str, namespace: str) -> SettingsFactory:
    def make(**overrides: Any) -> NotificationsSettings:
        overrides.setdefault("stream_poll_seconds", 0.2)
        return test_settings(
            NotificationsSettings,
            mongo_url=mongo_url,
            amqp_url=amqp_url,
            namespace=namespace,
            **overrides,
        )

    return make


@pytest.fixture
async def publisher(amqp_url: str, namespace: str) -> AsyncIterator[EventBus]:
    """Publishes other services' events into the namespace the service under test consumes."""
    bus = EventBus(
        ServiceSettings(
            service_name="test-publisher", amqp_url=SecretStr(amqp_url), amqp_namespace=namespace
        )
    )
    await bus.connect()
    yield bus
    await bus.close()


@pytest.fixture
async def notifications(
    notifications_settings: SettingsFactory, publisher: EventBus
) -> AsyncIterator[NotificationsHarness]:
    app = create_app(notifications_settings())
    async with running_service(app) as client:
        harness = NotificationsHarness(app, client, publisher)
        await harness.register_users()
        yield harness


@pytest.fixture
def served_harness(
    notifications_settings: SettingsFactory, publisher: EventBus
) -> Callable[..., AbstractAsyncContextManager[tuple[NotificationsHarness, str]]]:
    """The service behind a real HTTP server (for streams), with settings overrides."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[tuple[NotificationsHarness, str]]:
        app = create_app(notifications_settings(**overrides))
        async with (
            served_over_http(app) as base_url,
            httpx.AsyncClient(base_url=base_url) as client,
        ):
            harness = NotificationsHarness(app, client, publisher)
            await harness.register_users()
            yield harness, base_url

    return start
