"""The shared test helpers: the users service stand-in and the event injector, used for real."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from pymongo import AsyncMongoClient

from shared.bus import EventBus
from shared.events.users import UserFollowed, UserRegistered
from shared.idempotency import MongoProcessedEventLog
from shared.identity import AssertionVerifier, Caller, decode_public_key
from shared.mongo import Document
from shared.settings import ServiceSettings
from shared.subscriptions import Delivery, Subscriptions
from shared.testing import (
    ALICE,
    BOB,
    DIRECTORY_USERS,
    TEST_SERVICE_PUBLIC_KEYS,
    EligibilityStandIn,
    EventInjector,
    KnownUser,
    broker_users,
    event_injector,
    identity_headers,
    sign_test_identity,
)

HERMIT = KnownUser.named("hermit", collab_policy="nobody")
FAN = KnownUser.named("fan", collab_policy="following")
PICKY = KnownUser.named("picky", collab_policy="following")
GRUMPY = KnownUser.named("grumpy")


def users_service() -> EligibilityStandIn:
    """alice, bob, carol open to all; fan follows alice; grumpy blocked alice."""
    return EligibilityStandIn(
        [*DIRECTORY_USERS, HERMIT, FAN, PICKY, GRUMPY],
        follows=[(FAN.id, ALICE)],
        blocks=[(GRUMPY.id, ALICE)],
    )


async def ask(stand_in: EligibilityStandIn, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=stand_in.transport(), base_url="http://users.test"
    ) as client:
        return await client.post("/internal/eligibility", json=body)


async def test_identity_headers_carry_the_gateways_assertion_for_that_service_and_request() -> None:
    request = httpx.Request(
        "POST", "http://posts/v1/posts?x=1", json={"a": 1}, headers=identity_headers("u-1", "posts")
    )
    await sign_test_identity(request)
    keys = {name: decode_public_key(key) for name, key in TEST_SERVICE_PUBLIC_KEYS.items()}

    caller = AssertionVerifier("posts", keys).verify(
        request.headers["X-CoPost-Assertion"],
        request.headers["X-Request-ID"],
        method="POST",
        target="/v1/posts?x=1",
        body=request.content,
    )

    assert caller == Caller("gateway", "u-1")


@pytest.mark.parametrize(
    ("inviter_id", "invitee_id", "reason"),
    [
        (ALICE, BOB, None),
        (ALICE, FAN.id, None),
        (ALICE, "u-ghost", "unknown_user"),
        ("u-ghost", "u-ghost", "unknown_user"),
        (ALICE, ALICE, "self"),
        ("u-ghost", BOB, "inviter_unknown"),
        ("u-ghost", HERMIT.id, "inviter_unknown"),
        (ALICE, GRUMPY.id, "blocked"),
        (GRUMPY.id, ALICE, "blocked"),
        (ALICE, HERMIT.id, "policy_nobody"),
        (ALICE, PICKY.id, "policy_following"),
        (BOB, FAN.id, "policy_following"),
    ],
)
async def test_the_stand_in_answers_each_reason_of_the_contract(
    inviter_id: str, invitee_id: str, reason: str | None
) -> None:
    response = await ask(users_service(), {"inviter_id": inviter_id, "invitee_ids": [invitee_id]})

    assert response.status_code == 200
    [result] = response.json()["results"]
    assert (result["eligible"], result["reason"]) == (reason is None, reason)


async def test_answers_by_handle_come_in_input_order_with_the_known_users() -> None:
    response = await ask(
        users_service(), {"inviter_id": ALICE, "invitee_handles": ["BOB", "nobody_here", "alice"]}
    )

    results = response.json()["results"]
    assert [(r["handle"], r["user_id"], r["reason"]) for r in results] == [
        ("bob", BOB, None),
        ("nobody_here", None, "unknown_user"),
        ("alice", ALICE, "self"),
    ]
    assert results[0]["user"] == {
        "id": BOB,
        "handle": "bob",
        "display_name": "Bob",
        "created_at": "2026-01-01T00:00:00Z",
        "avatar": None,
    }
    assert results[1]["user"] is None


async def test_the_stand_in_follows_changes_made_during_a_test() -> None:
    stand_in = users_service()
    stand_in.block(BOB, ALICE)
    stand_in.follow(PICKY.id, ALICE)

    response = await ask(stand_in, {"inviter_id": ALICE, "invitee_ids": [BOB, PICKY.id]})
    assert [r["reason"] for r in response.json()["results"]] == ["blocked", None]

    stand_in.failing = True
    assert (await ask(stand_in, {"inviter_id": ALICE, "invitee_ids": [BOB]})).status_code == 500


@pytest.mark.parametrize(
    "body",
    [
        {"inviter_id": ALICE},
        {"inviter_id": ALICE, "invitee_ids": [BOB], "invitee_handles": ["bob"]},
        {"invitee_ids": [BOB]},
    ],
)
async def test_a_request_not_in_the_contract_is_refused(body: dict[str, Any]) -> None:
    assert (await ask(users_service(), body)).status_code == 422


class ServiceUnderTest:
    """A consumer with a processed-event log in MongoDB, as every service runs one."""

    def __init__(self) -> None:
        self.handled: list[UUID] = []
        self.registered: list[UserRegistered] = []

    async def on_followed(self, delivery: Delivery[UserFollowed]) -> None:
        self.handled.append(delivery.event_id)

    async def on_registered(self, delivery: Delivery[UserRegistered]) -> None:
        self.registered.append(delivery.event)

    def subscriptions(self) -> Subscriptions:
        subscriptions = Subscriptions()
        subscriptions.on(UserFollowed, self.on_followed)
        subscriptions.on(UserRegistered, self.on_registered)
        return subscriptions


@pytest.fixture
async def service_and_events(
    mongo_url: str, amqp_url: str, namespace: str
) -> AsyncIterator[tuple[ServiceUnderTest, EventInjector]]:
    mongo: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
    db = mongo[f"{namespace.rstrip('.')}-injected"]
    bus = EventBus(
        ServiceSettings(
            service_name="injected",
            amqp_namespace=namespace,
            **broker_users().settings("injected", amqp_url),
        )
    )
    await bus.connect()
    service = ServiceUnderTest()
    await bus.consume(service.subscriptions(), MongoProcessedEventLog(db))
    try:
        async with event_injector(db, amqp_url=amqp_url, namespace=namespace) as events:
            yield service, events
    finally:
        await bus.delete_topology()
        await bus.close()
        await mongo.drop_database(db.name)
        await mongo.close()


def followed(follower_id: str) -> UserFollowed:
    return UserFollowed(follower_id=follower_id, followee_id=ALICE, followed_at=datetime.now(UTC))


async def test_published_events_are_handled_when_publish_returns(
    service_and_events: tuple[ServiceUnderTest, EventInjector],
) -> None:
    service, events = service_and_events

    envelopes = await events.publish(followed(BOB), followed("u-dave"))
    await events.register(*DIRECTORY_USERS)

    assert sorted(service.handled) == sorted(envelope.id for envelope in envelopes)
    assert {envelope.producer for envelope in envelopes} == {"test"}
    assert sorted(service.registered, key=lambda d: d.user_id) == [
        user.registered() for user in DIRECTORY_USERS
    ]


async def test_a_forgotten_event_delivered_again_is_handled_again(
    service_and_events: tuple[ServiceUnderTest, EventInjector],
) -> None:
    service, events = service_and_events
    [event] = await events.publish(followed(BOB))

    await events.forget_processed(event)
    await events.deliver(event)

    assert service.handled == [event.id, event.id]
