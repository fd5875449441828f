"""Subscriptions: typed registration, several handlers per event, and what the bus asks of them."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from shared.events.users import UserBlocked, UserDeleted, UserRegistered
from shared.subscriptions import Delivery, Subscriptions, UnsatisfiableOrder

NOW = datetime(2026, 11, 29, tzinfo=UTC)
DELETED = UserDeleted(user_id="u1", deleted_at=NOW)


async def test_the_handlers_of_an_event_run_in_the_order_they_were_registered() -> None:
    calls: list[str] = []

    async def directory(delivery: Delivery[UserDeleted]) -> None:
        calls.append(f"directory {delivery.event.user_id}")

    async def own(delivery: Delivery[UserDeleted]) -> None:
        calls.append(f"own {delivery.event.user_id}")

    read_model = Subscriptions()
    read_model.on(UserDeleted, directory)
    subscriptions = Subscriptions()
    subscriptions.include(read_model)
    subscriptions.on(UserDeleted, own)

    await subscriptions.deliver(uuid4(), DELETED)

    assert calls == ["directory u1", "own u1"]


async def test_an_event_nobody_subscribed_to_is_not_handled() -> None:
    async def blocked(_: Delivery[UserBlocked]) -> None:
        raise AssertionError("not this one")

    subscriptions = Subscriptions()
    subscriptions.on(UserBlocked, blocked)

    assert subscriptions.event_types == ["user.blocked"]
    assert subscriptions.handles("user.blocked")
    assert not subscriptions.handles("user.deleted")
    await subscriptions.deliver(uuid4(), DELETED)


async def test_a_handler_is_given_the_event_and_its_id() -> None:
    seen: list[tuple[UUID, UserRegistered]] = []

    async def registered(delivery: Delivery[UserRegistered]) -> None:
        seen.append((delivery.event_id, delivery.event))

    subscriptions = Subscriptions()
    subscriptions.on(UserRegistered, registered)
    event_id = uuid4()
    data = UserRegistered(user_id="u1", handle="ann", display_name="Ann", created_at=NOW)
    await subscriptions.deliver(event_id, data)

    assert seen == [(event_id, data)]


async def test_a_failing_handler_stops_the_delivery_so_the_event_is_retried_whole() -> None:
    calls: list[str] = []

    async def fails(_: Delivery[UserDeleted]) -> None:
        raise RuntimeError("database away")

    async def after(_: Delivery[UserDeleted]) -> None:
        calls.append("after")

    subscriptions = Subscriptions()
    subscriptions.on(UserDeleted, fails)
    subscriptions.on(UserDeleted, after)

    with pytest.raises(RuntimeError):
        await subscriptions.deliver(uuid4(), DELETED)
    assert calls == []


class DeletionHandlers:
    """Three handlers of one event: the account's posts need the directory's tombstone."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def directory(self, _: Delivery[UserDeleted]) -> None:
        self.calls.append("directory")

    async def posts(self, _: Delivery[UserDeleted]) -> None:
        self.calls.append("posts")

    async def likes(self, _: Delivery[UserDeleted]) -> None:
        self.calls.append("likes")


async def test_a_handler_declared_after_another_runs_after_it_whatever_the_registration() -> None:
    handlers = DeletionHandlers()
    subscriptions = Subscriptions()
    subscriptions.on(UserDeleted, handlers.likes, after=[handlers.posts])
    subscriptions.on(UserDeleted, handlers.posts, after=handlers.directory)
    subscriptions.on(UserDeleted, handlers.directory)

    await subscriptions.deliver(uuid4(), DELETED)

    assert handlers.calls == ["directory", "posts", "likes"]
    assert subscriptions.handlers_of("user.deleted") == [
        handlers.directory,
        handlers.posts,
        handlers.likes,
    ]


def test_an_order_after_a_handler_of_another_event_is_refused() -> None:
    handlers = DeletionHandlers()
    subscriptions = Subscriptions()
    subscriptions.on(UserDeleted, handlers.posts, after=handlers.directory)

    with pytest.raises(UnsatisfiableOrder, match="directory, which does not handle it"):
        subscriptions.check()


def test_handlers_waiting_on_each_other_are_refused() -> None:
    handlers = DeletionHandlers()
    subscriptions = Subscriptions()
    subscriptions.on(UserDeleted, handlers.directory, after=handlers.posts)
    subscriptions.on(UserDeleted, handlers.posts, after=handlers.directory)

    with pytest.raises(UnsatisfiableOrder, match="wait on each other"):
        subscriptions.check()


async def test_an_order_broken_by_a_later_include_is_refused_before_any_delivery() -> None:
    handlers = DeletionHandlers()
    subscriptions = Subscriptions()
    subscriptions.on(UserDeleted, handlers.directory)
    subscriptions.on(UserDeleted, handlers.posts, after=handlers.directory)
    subscriptions.check()
    elsewhere = DeletionHandlers()
    capability = Subscriptions()
    capability.on(UserDeleted, handlers.likes, after=elsewhere.posts)
    subscriptions.include(capability)

    with pytest.raises(UnsatisfiableOrder):
        await subscriptions.deliver(uuid4(), DELETED)
    assert handlers.calls == []
