"""Issue 9's forged `invitation.accepted`: only the invitations service's broker user counts.

The attack: anyone with broker credentials published an acceptance the invitee never gave;
posts credited the co-author and published the pending post. Now the posts service parks
such an event in its dead-letter queue, unhandled, and the post stays as it was.
"""

import asyncio
from collections.abc import AsyncIterator, Callable

import aio_pika
import httpx
import pytest
from posts_support import Headers, Ids
from pydantic import SecretStr

from services.posts.tests.test_posts_events import create_post
from shared.broker_users import namespace_objects
from shared.bus import EventBus
from shared.events import make_event
from shared.events.invitations import InvitationAccepted
from shared.mongo import Database
from shared.outbox import WITHOUT_OUTBOX
from shared.settings import ServiceSettings
from shared.testing import EventRecorder, broker_users, wait_until


async def dead_letter_count(amqp_url: str, namespace: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{namespace}posts.dead-letter", passive=True)
        return queue.declaration_result.message_count or 0


@pytest.fixture
def publisher_as(amqp_url: str, namespace: str) -> Callable[[SecretStr], EventBus]:
    def make(url: SecretStr) -> EventBus:
        return EventBus(
            ServiceSettings(service_name="mallory", amqp_url=url, amqp_namespace=namespace)
        )

    return make


@pytest.fixture(params=["users", "guest"])
async def forger(
    request: pytest.FixtureRequest, amqp_url: str, publisher_as: Callable[[SecretStr], EventBus]
) -> AsyncIterator[EventBus]:
    """A publisher that is not the invitations service: another service, or the broker's guest."""
    url = broker_users().settings(request.param, amqp_url)["amqp_url"]
    bus = publisher_as(url if request.param != "guest" else SecretStr(amqp_url))
    await bus.connect()
    yield bus
    await bus.close()


async def test_an_acceptance_not_published_by_the_invitations_service_changes_nothing(
    client: httpx.AsyncClient,
    posts_db: Database,
    forger: EventBus,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
    amqp_url: str,
    namespace: str,
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["bob"], "when_accepted")
    before = await posts_db["posts"].find_one({"_id": post.id}, WITHOUT_OUTBOX)
    forged = make_event(post.accepted_by(uid("bob")), producer="invitations")

    assert await forger.publish([forged]) == [forged.id]

    await wait_until(lambda: dead_letter_count(amqp_url, namespace))
    assert await posts_db["posts"].find_one({"_id": post.id}, WITHOUT_OUTBOX) == before
    assert before is not None
    assert before["status"] == "pending"
    assert event_recorder.of_type("post.coauthor_added") == []
    assert event_recorder.of_type("post.published") == []


async def test_the_same_acceptance_from_the_invitations_service_is_applied(
    client: httpx.AsyncClient,
    posts_db: Database,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
    amqp_url: str,
    publisher_as: Callable[[SecretStr], EventBus],
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["bob"], "when_accepted")
    invitations = publisher_as(broker_users().settings("invitations", amqp_url)["amqp_url"])
    await invitations.connect()
    try:
        accepted: InvitationAccepted = post.accepted_by(uid("bob"))
        await invitations.publish([make_event(accepted, producer="invitations")])
    finally:
        await invitations.close()

    (published,) = await event_recorder.wait_for("post.published")
    assert published.data["post_id"] == post.id


async def test_an_acceptance_forged_into_the_posts_services_own_queues_changes_nothing(
    client: httpx.AsyncClient,
    posts_db: Database,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
    amqp_url: str,
    namespace: str,
) -> None:
    """The posts service's own broker user writes straight into each of its queues (the retry
    queues included) through the default exchange, claiming in a header that the invitations
    service published the acceptance: only what RabbitMQ validated, the `user_id`, counts."""
    post = await create_post(client, event_recorder, as_user("alice"), ["bob"], "when_accepted")
    before = await posts_db["posts"].find_one({"_id": post.id}, WITHOUT_OUTBOX)
    invitations_user = broker_users().prefix + "invitations"
    posts_url = broker_users().settings("posts", amqp_url)["amqp_url"].get_secret_value()
    connection = await aio_pika.connect(posts_url)
    async with connection:
        channel = await connection.channel()
        names, _ = await asyncio.to_thread(namespace_objects, f"{namespace}posts")
        queues = [name for name in names if name != f"{namespace}posts.dead-letter"]
        assert any(".retry." in name for name in queues)
        for queue in queues:
            forged = make_event(post.accepted_by(uid("bob")), producer="invitations")
            await channel.default_exchange.publish(
                aio_pika.Message(
                    body=forged.model_dump_json().encode(),
                    content_type="application/json",
                    message_id=str(forged.id),
                    type=forged.type,
                    user_id=broker_users().prefix + "posts",
                    headers={"x-copost-publisher": invitations_user, "x-copost-attempt": 1},
                ),
                routing_key=queue,
            )

    async def every_forgery_parked() -> bool:
        return await dead_letter_count(amqp_url, namespace) == len(queues)

    await wait_until(every_forgery_parked, timeout=10)
    assert await posts_db["posts"].find_one({"_id": post.id}, WITHOUT_OUTBOX) == before
    assert event_recorder.of_type("post.coauthor_added") == []
    assert event_recorder.of_type("post.published") == []
