"""Fixtures of the invitations tests: the service on real RabbitMQ and the embedded MongoDB."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from invitations_support import HarnessFactory, InvitationsHarness

from invitations.app import create_app
from invitations.settings import InvitationsSettings
from shared.testing import (
    DIRECTORY_USERS,
    EligibilityStandIn,
    EventRecorder,
    event_injector,
    running_service,
    test_settings,
)


@pytest.fixture
def start_invitations(
    mongo_url: str, amqp_url: str, namespace: str, event_recorder: EventRecorder
) -> HarnessFactory:
    """Start the service with settings overrides (a long expiry sweep unless told otherwise);
    `media_transport` serves the media service's API in process."""

    @asynccontextmanager
    async def start(
        media_transport: httpx.AsyncBaseTransport | None = None, **overrides: Any
    ) -> AsyncIterator[InvitationsHarness]:
        overrides.setdefault("expiry_sweep_seconds", 3600.0)
        settings = test_settings(
            InvitationsSettings,
            mongo_url=mongo_url,
            amqp_url=amqp_url,
            namespace=namespace,
            **overrides,
        )
        users = EligibilityStandIn(DIRECTORY_USERS)
        app = create_app(
            settings, users_transport=users.transport(), media_transport=media_transport
        )
        async with (
            running_service(app) as client,
            event_injector(app.state.runtime.db, amqp_url=amqp_url, namespace=namespace) as events,
        ):
            await events.register(*DIRECTORY_USERS)
            yield InvitationsHarness(app, client, events, event_recorder, users)

    return start


@pytest.fixture
async def invitations(start_invitations: HarnessFactory) -> AsyncIterator[InvitationsHarness]:
    async with start_invitations() as harness:
        yield harness
