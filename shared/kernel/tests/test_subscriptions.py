"""Subscriptions: typed registration, several handlers per event, and what the bus asks of them."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from shared.events.users import UserBlocked, UserDeleted, UserRegistered
from shared.subscriptions import Subscriptions, delivered_event_id

NOW = datetime(2026, 11, 29, tzinfo=UTC)
DELETED = UserDeleted(user_id="u1", deleted_at=NOW)


async def test_the_handlers_of_an_event_run_in_the_order_they_were_registered() -> None:
    calls: list[str] = []

    async def directory(data: UserDeleted) -> None:
        calls.append(f"directory {data.user_id}")

    async def own(data: UserDeleted) -> None:
        calls.append(f"own {data.user_id}")

    read_model = Subscriptions()
    read_model.on(UserDeleted, directory)
    subscriptions = Subscriptions()
    subscriptions.include(read_model)
    subscriptions.on(UserDeleted, own)

    await subscriptions.deliver(uuid4(), DELETED)

    assert calls == ["directory u1", "own u1"]


async def test_an_event_nobody_subscribed_to_is_not_handled() -> None:
    async def blocked(_: UserBlocked) -> None:
        raise AssertionError("not this one")

    subscriptions = Subscriptions()
    subscriptions.on(UserBlocked, blocked)

    assert subscriptions.event_types == ["user.blocked"]
    assert subscriptions.handles("user.blocked")
    assert not subscriptions.handles("user.deleted")
    await subscriptions.deliver(uuid4(), DELETED)


async def test_a_handler_knows_the_id_of_the_event_it_handles_and_only_then() -> None:
    seen: list[UUID] = []

    async def registered(_: UserRegistered) -> None:
        seen.append(delivered_event_id())

    subscriptions = Subscriptions()
    subscriptions.on(UserRegistered, registered)
    event_id = uuid4()
    data = UserRegistered(user_id="u1", handle="ann", display_name="Ann", created_at=NOW)
    await subscriptions.deliver(event_id, data)

    assert seen == [event_id]
    with pytest.raises(LookupError):
        delivered_event_id()


async def test_a_failing_handler_stops_the_delivery_so_the_event_is_retried_whole() -> None:
    calls: list[str] = []

    async def fails(_: UserDeleted) -> None:
        raise RuntimeError("database away")

    async def after(_: UserDeleted) -> None:
        calls.append("after")

    subscriptions = Subscriptions()
    subscriptions.on(UserDeleted, fails)
    subscriptions.on(UserDeleted, after)

    with pytest.raises(RuntimeError):
        await subscriptions.deliver(uuid4(), DELETED)
    assert calls == []
