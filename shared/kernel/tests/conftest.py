"""The event bus the kernel's broker tests share: connected to the real RabbitMQ as the users
service's broker user (so the events it publishes here are user.*), in the test's namespace,
with quick retries; its topology deleted afterwards."""

from collections.abc import AsyncIterator

import pytest

from shared.bus import EventBus
from shared.settings import ServiceSettings
from shared.testing import broker_users


@pytest.fixture
def settings(amqp_url: str, namespace: str) -> ServiceSettings:
    return ServiceSettings(
        service_name="bus-test",
        **broker_users().settings("users", amqp_url),
        amqp_namespace=namespace,
        event_retry_delays_seconds=(0.05, 0.1),
    )


@pytest.fixture
async def bus(settings: ServiceSettings) -> AsyncIterator[EventBus]:
    bus = EventBus(settings)
    await bus.connect()
    yield bus
    await bus.delete_topology()
    await bus.close()
