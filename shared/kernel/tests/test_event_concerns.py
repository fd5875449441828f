"""Handlers that concern only some events of their class (`when=`), and replay-safe handlers:
what the bus records of each, against the real broker and the wire server."""

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from prometheus_client import REGISTRY

from shared.bus import EventBus
from shared.events import EventEnvelope, make_event
from shared.events.users import UserFollowed
from shared.idempotency import PROCESSED_EVENTS, MongoProcessedEventLog
from shared.mongo import Database
from shared.subscriptions import Delivery, Subscriptions
from shared.testing import counted_database, own_database, wait_until

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def follow(follower: str, followee: str = "b") -> UserFollowed:
    return UserFollowed(follower_id=follower, followee_id=followee, followed_at=NOW)


def of_remote(followed: UserFollowed) -> bool:
    return followed.followee_id.startswith("remote:")


def recording(into: list[UUID]) -> Subscriptions:
    async def follow_of_remote(delivery: Delivery[UserFollowed]) -> None:
        into.append(delivery.event_id)

    subscriptions = Subscriptions()
    subscriptions.on(UserFollowed, follow_of_remote, when=of_remote)
    return subscriptions


def handled_follows() -> float:
    labels = {"service": "bus-test", "event_type": "user.followed", "outcome": "handled"}
    return REGISTRY.get_sample_value("copost_event_handling_seconds_count", labels) or 0.0


# -- the rule --------------------------------------------------------------------------------


async def test_a_handler_runs_only_for_the_events_its_predicate_takes() -> None:
    seen: list[UUID] = []
    subscriptions = recording(seen)
    ignored, taken = uuid4(), uuid4()

    await subscriptions.deliver(ignored, follow("a"))
    await subscriptions.deliver(taken, follow("a", "remote:b"))

    assert seen == [taken]
    assert not subscriptions.concerns(follow("a"))
    assert subscriptions.concerns(follow("a", "remote:b"))


async def test_only_the_handlers_an_event_concerns_decide_whether_it_needs_the_log() -> None:
    async def everything(_: Delivery[UserFollowed]) -> None: ...

    async def remote_only(_: Delivery[UserFollowed]) -> None: ...

    subscriptions = Subscriptions()
    subscriptions.on(UserFollowed, everything, replay_safe=True)
    subscriptions.on(UserFollowed, remote_only, when=of_remote)

    assert not subscriptions.needs_processed_log(follow("a"))
    assert subscriptions.needs_processed_log(follow("a", "remote:b"))
    ignored_by_all = Subscriptions()
    ignored_by_all.on(UserFollowed, remote_only, when=of_remote)
    assert not ignored_by_all.concerns(follow("a"))
    assert not ignored_by_all.needs_processed_log(follow("a"))


async def test_a_handler_after_one_that_passes_the_event_by_still_runs() -> None:
    calls: list[str] = []

    async def remote_only(_: Delivery[UserFollowed]) -> None:
        calls.append("remote")

    async def then(_: Delivery[UserFollowed]) -> None:
        calls.append("then")

    subscriptions = Subscriptions()
    subscriptions.on(UserFollowed, then, after=remote_only)
    subscriptions.on(UserFollowed, remote_only, when=of_remote)
    await subscriptions.deliver(uuid4(), follow("a"))
    await subscriptions.deliver(uuid4(), follow("a", "remote:b"))

    assert calls == ["then", "remote", "then"]


# -- on the bus ------------------------------------------------------------------------------


@pytest.fixture
async def counted(mongo_url: str, namespace: str) -> AsyncIterator[tuple[Database, Counter[str]]]:
    async with (
        own_database(mongo_url, namespace, "concerns") as db,
        counted_database(mongo_url, db.name) as (counted_db, commands),
    ):
        yield counted_db, commands


def envelope(data: UserFollowed) -> EventEnvelope:
    return make_event(data, producer="test")


async def test_an_event_no_handler_concerns_is_acknowledged_without_a_database_command(
    bus: EventBus, counted: tuple[Database, Counter[str]]
) -> None:
    db, commands = counted
    seen: list[UUID] = []
    await bus.consume(recording(seen), MongoProcessedEventLog(db))
    before = handled_follows()
    ignored, relevant = envelope(follow("a1")), envelope(follow("a2", "remote:b"))

    await bus.publish([ignored, ignored, relevant])  # the ignored one delivered twice
    await wait_until(lambda: handled_follows() == before + 3)

    assert seen == [relevant.id]
    # The relevant one's check and record: nothing for the ignored deliveries.
    assert dict(commands) == {f"find {PROCESSED_EVENTS}": 1, f"insert {PROCESSED_EVENTS}": 1}


async def test_a_relevant_event_redelivered_is_still_handled_once(
    bus: EventBus, counted: tuple[Database, Counter[str]]
) -> None:
    db, _ = counted
    seen: list[UUID] = []
    await bus.consume(recording(seen), MongoProcessedEventLog(db))
    before = handled_follows()
    relevant = envelope(follow("a1", "remote:b"))

    await bus.publish([relevant])
    await wait_until(lambda: handled_follows() == before + 1)
    await bus.publish([relevant])
    await wait_until(lambda: handled_follows() == before + 2)

    assert seen == [relevant.id]
    assert await db[PROCESSED_EVENTS].count_documents({}) == 1


async def test_a_replay_safe_handler_is_consumed_without_the_log(
    bus: EventBus, counted: tuple[Database, Counter[str]]
) -> None:
    db, commands = counted
    runs: list[UUID] = []

    async def keyed(delivery: Delivery[UserFollowed]) -> None:
        runs.append(delivery.event_id)

    subscriptions = Subscriptions()
    subscriptions.on(UserFollowed, keyed, replay_safe=True)
    await bus.consume(subscriptions, MongoProcessedEventLog(db))
    before = handled_follows()
    event = envelope(follow("a1"))

    await bus.publish([event, event])
    await wait_until(lambda: handled_follows() == before + 2)

    # Run on each delivery: its own keys make the second a no-op; no log command.
    assert runs == [event.id, event.id]
    assert dict(commands) == {}
