"""The broker users of shared.broker_users on the real RabbitMQ: who may publish what."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import aio_pika
import pytest
from aio_pika.exceptions import ChannelNotFoundEntity
from aiormq.exceptions import ChannelAccessRefused
from pydantic import SecretStr

from shared.broker_users import create_users, delete_namespace, delete_users
from shared.bus import EventBus
from shared.events import EventData, make_event
from shared.events.invitations import InvitationAccepted
from shared.events.posts import PostDeleted
from shared.settings import ServiceSettings
from shared.subscriptions import Delivery, Subscriptions

SERVICES = ["posts", "timeline"]


@pytest.fixture
async def restricted_urls(amqp_url: str, namespace: str) -> AsyncIterator[dict[str, str]]:
    """Users as `make run` and the deployments create them: limited to `namespace`."""
    prefix = f"copost-perm-{uuid4().hex[:8]}-"
    urls = create_users(amqp_url, SERVICES, prefix=prefix, namespace=namespace)
    yield urls
    delete_users(SERVICES, prefix=prefix)


async def published(url: str, namespace: str, data: EventData) -> bool:
    """Whether the broker confirmed the event published over `url`."""
    bus = EventBus(
        ServiceSettings(service_name="probe", amqp_url=SecretStr(url), amqp_namespace=namespace)
    )
    await bus.connect()
    try:
        event = make_event(data, producer="probe")
        return await bus.publish([event]) == [event.id]
    finally:
        await bus.close()


def accepted() -> InvitationAccepted:
    return InvitationAccepted(
        invitation_id="i",
        post_id="p",
        inviter_id="a",
        invitee_id="b",
        responded_at=datetime.now(UTC),
    )


async def test_a_service_publishes_its_own_routing_keys_and_no_one_elses(
    restricted_urls: dict[str, str], namespace: str
) -> None:
    posts = restricted_urls["posts"]

    assert await published(
        posts,
        namespace,
        PostDeleted(post_id="p", author_id="a", coauthor_ids=(), deleted_at=datetime.now(UTC)),
    )
    assert not await published(posts, namespace, accepted())
    assert not await published(restricted_urls["timeline"], namespace, accepted())


async def test_no_one_can_claim_another_broker_user_as_publisher(
    amqp_url: str, restricted_urls: dict[str, str], namespace: str
) -> None:
    """Even the broker's administrator `guest`: RabbitMQ checks `user_id` on every publish."""
    bus = EventBus(
        ServiceSettings(
            service_name="probe", amqp_url=SecretStr(amqp_url), amqp_namespace=namespace
        )
    )
    await bus.connect()
    try:
        bus.broker_user = "copost-invitations"
        event = make_event(accepted(), producer="invitations")
        assert await bus.publish([event]) == []
    finally:
        await bus.close()


async def ignore(_: Delivery[InvitationAccepted]) -> None:
    return None


async def test_a_service_declares_its_queues_but_cannot_address_a_queue_directly(
    restricted_urls: dict[str, str], namespace: str
) -> None:
    """Its retries and redrives need no default exchange: the broker moves them itself."""
    posts = restricted_urls["posts"]
    bus = EventBus(
        ServiceSettings(service_name="posts", amqp_url=SecretStr(posts), amqp_namespace=namespace)
    )
    await bus.connect()
    try:
        subscriptions = Subscriptions()
        subscriptions.on(InvitationAccepted, ignore)
        await bus.consume(subscriptions)
        connection = await aio_pika.connect(posts)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            with pytest.raises(ChannelAccessRefused):
                await channel.default_exchange.publish(
                    aio_pika.Message(b"{}", user_id=f"{bus.broker_user}"),
                    routing_key=bus.retry_queue_name(1),
                )
    finally:
        await bus.stop_consuming()
        await bus.close()


def test_deleting_users_skips_those_already_gone(amqp_url: str, namespace: str) -> None:
    prefix = f"copost-gone-{uuid4().hex[:8]}-"
    create_users(amqp_url, ["posts"], prefix=prefix, namespace=namespace)

    assert delete_users(["posts", "timeline"], prefix=prefix) == [f"{prefix}posts"]
    assert delete_users(["posts", "timeline"], prefix=prefix) == []


async def declared(amqp_url: str, queue: str, exchange: str) -> tuple[bool, bool]:
    """Whether the queue and the exchange exist (passive declarations)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        found = []
        for declare in (
            lambda channel: channel.declare_queue(queue, passive=True),
            lambda channel: channel.declare_exchange(exchange, passive=True),
        ):
            channel = await connection.channel()
            try:
                await declare(channel)
                found.append(True)
            except ChannelNotFoundEntity:
                found.append(False)
        return found[0], found[1]


async def test_deleting_a_namespace_removes_its_queues_and_exchanges_and_nothing_else(
    amqp_url: str,
) -> None:
    stack, neighbour = f"stack-{uuid4().hex[:8]}-", f"stack-{uuid4().hex[:8]}-"
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for prefix in (stack, neighbour):
            await channel.declare_queue(
                f"{prefix}posts", durable=True, arguments={"x-queue-type": "quorum"}
            )
            await channel.declare_exchange(f"{prefix}copost.events", aio_pika.ExchangeType.TOPIC)

    await delete_namespace(amqp_url, stack)

    assert await declared(amqp_url, f"{stack}posts", f"{stack}copost.events") == (False, False)
    assert await declared(amqp_url, f"{neighbour}posts", f"{neighbour}copost.events") == (
        True,
        True,
    )
    await delete_namespace(amqp_url, neighbour)
