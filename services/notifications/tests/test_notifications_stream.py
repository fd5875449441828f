"""The live stream over real HTTP: new notifications arrive, Last-Event-ID resumes, any replica."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from uuid import uuid4

import httpx
from notifications_support import EventStreamReader, NotificationsHarness, ServedHarness
from prometheus_client import REGISTRY
from pymongo import AsyncMongoClient, monitoring
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

from notifications.core.commands import NotificationCommands as Notifier
from notifications.core.repository import NotificationRepository
from notifications.core.rules import NewNotification, NotificationType, Reaction
from notifications.streams.wakeups import LocalWakeups
from shared.events.users import UserFollowed
from shared.mongo import Document
from shared.testing import ALICE, BOB, CAROL, identity_headers, wait_until

STREAM = "/v1/notifications/stream"
# "Within a second of it being stored": the harness returns once the event is handled.
DELIVERY_SECONDS = 1.0


def followed(follower: str) -> UserFollowed:
    return UserFollowed(follower_id=follower, followee_id=ALICE, followed_at=datetime.now(UTC))


@asynccontextmanager
async def stream_of(
    client: httpx.AsyncClient, user_id: str, last_event_id: str | None = None
) -> AsyncIterator[EventStreamReader]:
    headers = identity_headers(user_id, "notifications")
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    async with client.stream("GET", STREAM, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventStreamReader(response)


async def test_a_connected_client_receives_each_new_notification(
    served_harness: ServedHarness,
) -> None:
    async with served_harness() as (harness, _), stream_of(harness.client, ALICE) as stream:
        await harness.events.publish(followed(BOB))
        event = await asyncio.wait_for(stream.next_event(), DELIVERY_SECONDS)
        assert event.event == "notification"
        assert event.id is not None
        body = event.json()
        assert (body["type"], body["actor"]["id"], body["read"]) == ("follower.new", BOB, False)
        listed = await harness.notifications(ALICE)
        assert [n["id"] for n in listed["items"]] == [body["id"]]


async def test_last_event_id_resumes_after_what_was_delivered_without_gaps(
    served_harness: ServedHarness,
) -> None:
    async with served_harness() as (harness, _):
        async with stream_of(harness.client, ALICE) as stream:
            await harness.events.publish(followed(BOB))
            first = await asyncio.wait_for(stream.next_event(), DELIVERY_SECONDS)
        # Disconnected: these two are stored while nobody listens.
        await harness.events.publish(followed(CAROL))
        await harness.events.publish(followed("u-dave"))

        async with stream_of(harness.client, ALICE, last_event_id=first.id) as resumed:
            missed = [await asyncio.wait_for(resumed.next_event(), 2.0) for _ in range(2)]
        actor_ids = [event.json()["actor"] for event in missed]
        assert actor_ids[0]["id"] == CAROL
        assert actor_ids[1] is None  # Dave is not registered here
        assert [int(e.id or 0) for e in missed] == [int(first.id or 0) + 1, int(first.id or 0) + 2]


async def test_a_notification_stored_by_another_replica_reaches_the_stream(
    served_harness: ServedHarness, mongo_url: str
) -> None:
    async with served_harness() as (harness, _), stream_of(harness.client, ALICE) as stream:
        other_client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, tz_aware=True)
        try:
            # Its own connection and its own wakeups: only the database links the two.
            other_replica = Notifier(
                NotificationRepository(other_client[harness.db.name]), LocalWakeups()
            )
            reaction = Reaction(
                notifications=(NewNotification(ALICE, NotificationType.FOLLOWER_NEW, BOB),)
            )
            await other_replica.apply(uuid4(), reaction)
            event = await asyncio.wait_for(stream.next_event(), DELIVERY_SECONDS)
        finally:
            await other_client.close()
        assert event.json()["type"] == "follower.new"


async def test_a_quiet_stream_sends_keep_alive_comments(served_harness: ServedHarness) -> None:
    async with (
        served_harness(keepalive_seconds=0.3) as (harness, _),
        stream_of(harness.client, ALICE) as stream,
    ):
        await asyncio.wait_for(stream.next_comment("keep-alive"), 2.0)


async def test_a_last_event_id_the_service_never_sent_is_a_bad_request(
    notifications: NotificationsHarness,
) -> None:
    response = await notifications.client.get(
        STREAM,
        headers={**identity_headers(ALICE, "notifications"), "Last-Event-ID": "not-a-position"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_streams_beyond_the_per_account_cap_are_refused_with_retry_after(
    served_harness: ServedHarness,
) -> None:
    async with served_harness(max_streams_per_account=2) as (harness, _):
        client = harness.client
        async with stream_of(client, ALICE), stream_of(client, ALICE):
            refused = await client.get(STREAM, headers=identity_headers(ALICE, "notifications"))
            assert refused.status_code == 429
            assert refused.headers["content-type"] == "application/problem+json"
            assert int(refused.headers["retry-after"]) >= 1
            # The cap is per account: another account still gets its stream.
            async with stream_of(client, BOB) as bobs:
                await harness.events.publish(
                    UserFollowed(follower_id=CAROL, followee_id=BOB, followed_at=datetime.now(UTC))
                )
                event = await asyncio.wait_for(bobs.next_event(), DELIVERY_SECONDS)
                assert event.json()["type"] == "follower.new"

        # Closed streams give their slots back.
        async def slot_free() -> bool:
            async with client.stream(
                "GET", STREAM, headers=identity_headers(ALICE, "notifications")
            ) as again:
                return again.status_code == 200

        await wait_until(slot_free)


class FindCommands(CommandListener):
    """Counts the `find` commands the service sends on its notifications collection."""

    def __init__(self) -> None:
        self.feed_polls = 0
        self.stream_reads = 0
        self.listening = False

    def started(self, event: CommandStartedEvent) -> None:
        command = event.command
        if not self.listening or command.get("find") != "notifications":
            return
        query = command.get("filter", {})
        if "created_at" in query:
            self.feed_polls += 1
        elif "seq" in query:
            self.stream_reads += 1

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


FIND_COMMANDS = FindCommands()
# Global, and only for clients created afterwards: registered once for this module.
monitoring.register(FIND_COMMANDS)


async def test_quiet_streams_share_one_change_feed_instead_of_polling_each(
    served_harness: ServedHarness,
) -> None:
    recipients = [f"u-quiet-{n}" for n in range(20)]
    async with served_harness(stream_poll_seconds=0.05) as (harness, _), AsyncExitStack() as open:
        for recipient in recipients:
            await open.enter_async_context(stream_of(harness.client, recipient))
        FIND_COMMANDS.feed_polls = FIND_COMMANDS.stream_reads = 0
        FIND_COMMANDS.listening = True
        try:
            # Twenty polling streams would have read the database 200 times by now.
            await wait_until(lambda: FIND_COMMANDS.feed_polls >= 10)
            assert FIND_COMMANDS.stream_reads == 0
            # Woken by the feed, only the stream with news reads it.
            other = Notifier(NotificationRepository(harness.db), LocalWakeups())
            reaction = Reaction(
                notifications=(NewNotification(recipients[0], NotificationType.FOLLOWER_NEW, BOB),)
            )
            await other.apply(uuid4(), reaction)
            await wait_until(lambda: FIND_COMMANDS.stream_reads >= 1)
            await wait_until(lambda: FIND_COMMANDS.feed_polls >= 20)
            assert FIND_COMMANDS.stream_reads == 1
        finally:
            FIND_COMMANDS.listening = False


async def test_open_streams_are_counted_while_they_last(served_harness: ServedHarness) -> None:
    def open_streams() -> float:
        return REGISTRY.get_sample_value("copost_open_streams", {"service": "notifications"}) or 0

    before = open_streams()
    async with served_harness() as (harness, _):
        async with stream_of(harness.client, ALICE) as stream:
            await harness.events.publish(followed(BOB))
            await asyncio.wait_for(stream.next_event(), DELIVERY_SECONDS)
            assert open_streams() == before + 1
        await wait_until(lambda: open_streams() == before)
