"""Issue 9's forged `invitation.accepted`: only the invitations service's broker user counts.

The attack: anyone with broker credentials published an acceptance the invitee never gave;
posts credited the co-author and published the pending post. Now the posts service parks
such an event in its dead-letter queue, unhandled, and the post stays as it was.
"""

from collections.abc import AsyncIterator, Callable

import aio_pika
import httpx
import pytest
from pydantic import SecretStr

from services.posts.tests.test_posts_events import create_post
from shared.bus import EventBus
from shared.events import make_event
from shared.events.invitations import InvitationAccepted
from shared.mongo import Database
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
    as_user: Callable[[str], dict[str, str]],
    uid: Callable[[str], str],
    event_recorder: EventRecorder,
    amqp_url: str,
    namespace: str,
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["bob"], "when_accepted")
    before = await posts_db["posts"].find_one({"_id": post.id}, {"outbox": 0})
    forged = make_event(post.accepted_by(uid("bob")), producer="invitations")

    assert await forger.publish([forged]) == [forged.id]

    await wait_until(lambda: dead_letter_count(amqp_url, namespace))
    assert await posts_db["posts"].find_one({"_id": post.id}, {"outbox": 0}) == before
    assert before is not None
    assert before["status"] == "pending"
    assert event_recorder.of_type("post.coauthor_added") == []
    assert event_recorder.of_type("post.published") == []


async def test_the_same_acceptance_from_the_invitations_service_is_applied(
    client: httpx.AsyncClient,
    posts_db: Database,
    as_user: Callable[[str], dict[str, str]],
    uid: Callable[[str], str],
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
