"""Fixtures for the posts tests: the service on real RabbitMQ and embedded MongoDB.

The users service is replaced by shared.testing's EligibilityStandIn over the accounts below
and the remote accounts of posts_support.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from posts_support import REMOTE_USERS, Headers, Ids, PostsServiceStarter
from pymongo import AsyncMongoClient

from posts.app import create_app
from posts.settings import PostsSettings
from shared.mongo import Database, Document
from shared.testing import (
    CollabPolicy,
    EligibilityStandIn,
    EventInjector,
    EventRecorder,
    KnownUser,
    MediaStandIn,
    event_injector,
    identity_headers,
    running_service,
    test_settings,
)

JOINED = datetime(2025, 1, 1, tzinfo=UTC)
POLICIES: dict[str, CollabPolicy] = {"hermit": "nobody", "fan": "following", "picky": "following"}
# alice authors; bob..gina accept invites from anyone; the others refuse alice one way or another.
KNOWN_USERS = {
    handle: KnownUser.named(
        handle, collab_policy=POLICIES.get(handle, "everyone"), created_at=JOINED
    )
    for handle in [
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "frank",
        "gina",
        "hermit",
        "fan",
        "picky",
        "grumpy",
    ]
}


def user_id(handle: str) -> str:
    return KNOWN_USERS[handle].id


@pytest.fixture
def users() -> EligibilityStandIn:
    """The users service's stand-in the posts service asks unless a test gives `start_posts`
    another transport; a test may change its facts (blocks, follows, remix settings)."""
    return EligibilityStandIn(
        [*KNOWN_USERS.values(), *REMOTE_USERS],
        follows=[(user_id("fan"), user_id("alice"))],
        blocks=[(user_id("grumpy"), user_id("alice"))],
    )


@pytest.fixture
def uid() -> Ids:
    """The id of a known user, by handle (test modules cannot import this conftest)."""
    return user_id


@pytest.fixture
def as_user() -> Headers:
    """The headers the gateway would send for a known user."""
    return lambda handle: identity_headers(user_id(handle), "posts")


@pytest.fixture
def start_posts(
    mongo_url: str,
    amqp_url: str,
    namespace: str,
    event_recorder: EventRecorder,
    users: EligibilityStandIn,
) -> PostsServiceStarter:
    """Start the posts service with settings overrides; the recorder listens from the start.

    `users` replaces the users service's transport (the `users` stand-in by default);
    `media` serves the media service (none by default: posts without media never ask it).
    """
    users_stand_in = users

    @asynccontextmanager
    async def start(
        *,
        users: httpx.AsyncBaseTransport | None = None,
        media: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = test_settings(
            PostsSettings,
            mongo_url=mongo_url,
            amqp_url=amqp_url,
            namespace=namespace,
            **({"users_url": "http://users.test", "media_url": "http://media.test"} | overrides),
        )
        transport = users or users_stand_in.transport()
        app = create_app(settings, users_transport=transport, media_transport=media)
        async with running_service(app) as client:
            yield client

    return start


@pytest.fixture
async def client(start_posts: PostsServiceStarter) -> AsyncIterator[httpx.AsyncClient]:
    async with start_posts() as posts_client:
        yield posts_client


@pytest.fixture
def media_stand_in() -> MediaStandIn:
    return MediaStandIn()


@pytest.fixture
async def posts(
    start_posts: PostsServiceStarter, media_stand_in: MediaStandIn
) -> AsyncIterator[httpx.AsyncClient]:
    """The posts service, with the media service's attach route served by `media_stand_in`."""
    transport = httpx.ASGITransport(app=media_stand_in.app())
    async with start_posts(media=transport) as client:
        yield client


@pytest.fixture
async def posts_db(mongo_url: str, namespace: str) -> AsyncIterator[Database]:
    """The posts service's database, to see what handlers did to posts no route shows."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    yield client[f"{namespace.rstrip('.')}-posts"]
    await client.close()


@pytest.fixture
async def events(posts_db: Database, amqp_url: str, namespace: str) -> AsyncIterator[EventInjector]:
    """Other services' events, each published and then handled by the posts service."""
    async with event_injector(posts_db, amqp_url=amqp_url, namespace=namespace) as injector:
        yield injector
