"""Fixtures of the invitations tests: the service on real RabbitMQ and the embedded MongoDB."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from invitations.app import create_app
from invitations.settings import InvitationsSettings
from invitations.testing import (
    HarnessFactory,
    InvitationsHarness,
    UsersStandIn,
    register_users,
)
from shared.bus import EventBus
from shared.settings import ServiceSettings
from shared.testing import EventRecorder, running_service, test_settings


@pytest.fixture
def start_invitations(
    mongo_url: str, amqp_url: str, namespace: str, event_recorder: EventRecorder
) -> HarnessFactory:
    """Start the service with settings overrides (a long expiry sweep unless told otherwise)."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[InvitationsHarness]:
        overrides.setdefault("expiry_sweep_seconds", 3600.0)
        settings = test_settings(
            InvitationsSettings,
            mongo_url=mongo_url,
            amqp_url=amqp_url,
            namespace=namespace,
            **overrides,
        )
        users = UsersStandIn()
        app = create_app(settings, users_transport=httpx.ASGITransport(app=users.app()))
        publisher = EventBus(
            ServiceSettings(
                service_name="test-publisher", amqp_url=amqp_url, amqp_namespace=namespace
            )
        )
        await publisher.connect()
        try:
            async with running_service(app) as client:
                harness = InvitationsHarness(app, client, publisher, event_recorder, users)
                await register_users(harness)
                yield harness
        finally:
            await publisher.close()

    return start


@pytest.fixture
async def invitations(start_invitations: HarnessFactory) -> AsyncIterator[InvitationsHarness]:
    async with start_invitations() as harness:
        yield harness
