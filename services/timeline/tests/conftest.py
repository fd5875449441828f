"""Fixtures for the timeline tests: the service on real RabbitMQ and the embedded MongoDB."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from redis.asyncio import Redis
from timeline_support import (
    TEST_CELEBRITY_THRESHOLD,
    Events,
    Feeds,
    TimelineApi,
    TimelineStarter,
)

from shared.mongo import Document
from shared.testing import EligibilityStandIn, event_injector, running_service, test_settings
from timeline.app import create_app
from timeline.settings import TimelineSettings


@pytest.fixture
async def events(mongo_url: str, amqp_url: str, namespace: str) -> AsyncIterator[Events]:
    """Sends events and waits until the service (started by the test) has handled them."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    service_db = client[f"{namespace.rstrip('.')}-{TimelineSettings().service_name}"]
    try:
        async with event_injector(service_db, amqp_url=amqp_url, namespace=namespace) as injector:
            yield Events(injector)
    finally:
        await client.close()


@pytest.fixture
def start_timeline(
    mongo_url: str, amqp_url: str, namespace: str, events: Events
) -> TimelineStarter:
    """Run the service with settings overrides (a small celebrity threshold by default)."""

    @asynccontextmanager
    async def start(
        *, users: EligibilityStandIn | None = None, **overrides: Any
    ) -> AsyncIterator[TimelineApi]:
        """`users`: the users service's stand-in (who blocks whom); by default, nobody blocks."""
        settings = test_settings(
            TimelineSettings,
            mongo_url=mongo_url,
            amqp_url=amqp_url,
            namespace=namespace,
            users_url="http://users.test",
            **{
                "celebrity_follower_threshold": TEST_CELEBRITY_THRESHOLD,
                # Demoted as soon as below the threshold, unless a test sets a margin.
                "celebrity_demotion_margin": 0,
                **overrides,
            },
        )
        client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
        try:
            transport = (users or EligibilityStandIn([])).transport()
            app = create_app(settings, users_transport=transport)
            async with running_service(app) as http:
                yield TimelineApi(http, client[settings.database_name])
        finally:
            await client.close()

    return start


@pytest.fixture
async def api(start_timeline: TimelineStarter) -> AsyncIterator[TimelineApi]:
    async with start_timeline() as timeline_api:
        yield timeline_api


@pytest.fixture
async def feeds(redis_url: str, namespace: str) -> AsyncIterator[Feeds]:
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield Feeds(redis, namespace)
    finally:
        await redis.aclose()
