"""Fixtures of the media tests: the service on real RabbitMQ and the embedded MongoDB."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from media_support import MediaHarness, SettingsFactory

from media.app import create_app
from media.settings import MediaSettings
from shared.testing import event_injector, running_service, test_settings


@pytest.fixture
def media_settings(mongo_url: str, amqp_url: str, namespace: str) -> SettingsFactory:
    def make(**overrides: Any) -> MediaSettings:
        return test_settings(
            MediaSettings, mongo_url=mongo_url, amqp_url=amqp_url, namespace=namespace, **overrides
        )

    return make


@pytest.fixture
def start_media(
    media_settings: SettingsFactory, amqp_url: str, namespace: str
) -> Callable[..., AbstractAsyncContextManager[MediaHarness]]:
    """Start the service with settings overrides (a quick sweep unless told otherwise)."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[MediaHarness]:
        app = create_app(media_settings(**({"media_sweep_seconds": 0.2} | overrides)))
        async with (
            running_service(app) as client,
            event_injector(app.state.runtime.db, amqp_url=amqp_url, namespace=namespace) as events,
        ):
            yield MediaHarness(app, client, events)

    return start


@pytest.fixture
async def media(
    start_media: Callable[..., AbstractAsyncContextManager[MediaHarness]],
) -> AsyncIterator[MediaHarness]:
    async with start_media() as harness:
        yield harness
