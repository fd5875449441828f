"""Fixtures for the posts tests: the service on real RabbitMQ and embedded MongoDB.

The users service is replaced by a small real FastAPI app answering the eligibility
contract over fixed users, served in-process through httpx's ASGITransport.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from pymongo import AsyncMongoClient

from posts.app import create_app
from posts.settings import PostsSettings
from shared.bus import EventBus
from shared.events import EventData, EventEnvelope, make_event
from shared.idempotency import PROCESSED_EVENTS
from shared.mongo import Database, Document
from shared.settings import ServiceSettings
from shared.testing import EventRecorder, running_service, test_settings, wait_until
from shared.user_directory import PublicUser

USER_ID_HEADER = "X-CoPost-User-Id"
JOINED = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class KnownUser:
    handle: str
    policy: str = "everyone"
    blocks: set[str] = field(default_factory=set)
    follows: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return f"{self.handle}-id"

    def public(self) -> PublicUser:
        return PublicUser(
            id=self.id, handle=self.handle, display_name=self.handle.title(), created_at=JOINED
        )


# alice authors; bob..gina accept invites from anyone; the others refuse alice one way or another.
KNOWN_USERS = {
    user.handle: user
    for user in [
        KnownUser("alice"),
        KnownUser("bob"),
        KnownUser("carol"),
        KnownUser("dave"),
        KnownUser("erin"),
        KnownUser("frank"),
        KnownUser("gina"),
        KnownUser("hermit", policy="nobody"),
        KnownUser("fan", policy="following", follows={"alice"}),
        KnownUser("picky", policy="following"),
        KnownUser("grumpy", blocks={"alice"}),
    ]
}
USERS_BY_ID = {user.id: user for user in KNOWN_USERS.values()}


@pytest.fixture
def uid() -> Callable[[str], str]:
    """The id of a known user, by handle (test modules cannot import this conftest)."""
    return lambda handle: KNOWN_USERS[handle].id


@pytest.fixture
def as_user() -> Callable[[str], dict[str, str]]:
    """The headers the gateway would send for a known user."""
    return lambda handle: {USER_ID_HEADER: KNOWN_USERS[handle].id}


class EligibilityRequest(BaseModel):
    inviter_id: str
    invitee_handles: list[str] | None = None
    invitee_ids: list[str] | None = None


def users_service_stand_in() -> FastAPI:
    """The users service's POST /internal/eligibility, as the contract states it."""
    app = FastAPI()

    @app.post("/internal/eligibility")
    async def eligibility(body: EligibilityRequest) -> dict[str, Any]:
        inviter = USERS_BY_ID.get(body.inviter_id)
        if body.invitee_handles is not None:
            pairs = [(h, KNOWN_USERS.get(h.lower())) for h in body.invitee_handles]
        else:
            pairs = [(None, USERS_BY_ID.get(i)) for i in body.invitee_ids or []]
        return {"results": [_answer(inviter, handle, user) for handle, user in pairs]}

    return app


def _answer(inviter: KnownUser | None, handle: str | None, user: KnownUser | None) -> Any:
    reason = _refusal(inviter, user)
    return {
        "handle": handle if user is None else user.handle,
        "user_id": user.id if user else None,
        "user": user.public().model_dump(mode="json") if user else None,
        "eligible": reason is None,
        "reason": reason,
    }


def _refusal(inviter: KnownUser | None, user: KnownUser | None) -> str | None:
    if user is None:
        return "unknown_user"
    if inviter is not None and user.id == inviter.id:
        return "self"
    if inviter is None:
        return "inviter_unknown"
    if inviter.handle in user.blocks or user.handle in inviter.blocks:
        return "blocked"
    if user.policy == "nobody":
        return "policy_nobody"
    if user.policy == "following" and inviter.handle not in user.follows:
        return "policy_following"
    return None


type PostsServiceStarter = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def start_posts(
    mongo_url: str, amqp_url: str, namespace: str, event_recorder: EventRecorder
) -> PostsServiceStarter:
    """Start the posts service with settings overrides; the recorder listens from the start."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = test_settings(
            PostsSettings,
            mongo_url=mongo_url,
            amqp_url=amqp_url,
            namespace=namespace,
            users_url="http://users.test",
            **overrides,
        )
        transport = httpx.ASGITransport(app=users_service_stand_in())
        async with running_service(create_app(settings, users_transport=transport)) as client:
            yield client

    return start


@pytest.fixture
async def client(start_posts: PostsServiceStarter) -> AsyncIterator[httpx.AsyncClient]:
    async with start_posts() as posts_client:
        yield posts_client


class SyntheticProducer:
    """Publishes events as other services would, on a second bus in the same namespace."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def publish(self, data: EventData) -> EventEnvelope:
        envelope = make_event(data, producer="test")
        assert await self._bus.publish([envelope]) == [envelope.id]
        return envelope


@pytest.fixture
async def producer(amqp_url: str, namespace: str) -> AsyncIterator[SyntheticProducer]:
    settings = ServiceSettings(
        service_name="synthetic", amqp_url=amqp_url, amqp_namespace=namespace
    )
    bus = EventBus(settings)
    await bus.connect()
    yield SyntheticProducer(bus)
    await bus.close()


@pytest.fixture
async def posts_db(mongo_url: str, namespace: str) -> AsyncIterator[Database]:
    """The posts service's database, to see what handlers did to posts no route shows."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    yield client[f"{namespace.rstrip('.')}-posts"]
    await client.close()


@pytest.fixture
def handled(posts_db: Database) -> Callable[[EventEnvelope], Awaitable[None]]:
    """Wait until the posts service has handled an event (its id is in the processed log)."""

    async def wait_handled(envelope: EventEnvelope) -> None:
        async def seen() -> bool:
            found = await posts_db[PROCESSED_EVENTS].find_one({"_id": str(envelope.id)})
            return found is not None

        await wait_until(seen)

    return wait_handled
