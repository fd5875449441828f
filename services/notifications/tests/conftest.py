"""Fixtures of the notifications tests: the service on real RabbitMQ and the embedded MongoDB."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from notifications_support import NotificationsHarness, ServedHarness

from notifications.app import create_app
from notifications.settings import NotificationsSettings
from shared.testing import (
    DIRECTORY_USERS,
    event_injector,
    running_service,
    served_with_its_queues,
    signing_client,
    test_settings,
)

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
async def notifications(
    notifications_settings: SettingsFactory, amqp_url: str, namespace: str
) -> AsyncIterator[NotificationsHarness]:
    app = create_app(notifications_settings())
    async with (
        running_service(app) as client,
        event_injector(app.state.runtime.db, amqp_url=amqp_url, namespace=namespace) as events,
    ):
        await events.register(*DIRECTORY_USERS)
        yield NotificationsHarness(app, client, events)


@pytest.fixture
def served_harness(
    notifications_settings: SettingsFactory, amqp_url: str, namespace: str
) -> ServedHarness:
    """The service behind a real HTTP server (for streams), with settings overrides."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[tuple[NotificationsHarness, str]]:
        app = create_app(notifications_settings(**overrides))
        async with (
            served_with_its_queues(app) as base_url,
            signing_client(base_url=base_url) as client,
            event_injector(app.state.runtime.db, amqp_url=amqp_url, namespace=namespace) as events,
        ):
            await events.register(*DIRECTORY_USERS)
            yield NotificationsHarness(app, client, events), base_url

    return start
