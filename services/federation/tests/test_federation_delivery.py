"""Delivery per remote host: a failing host waits out a back-off that doubles, without slowing
the others; past the bound it is parked (held, counted) until it is heard from again."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from federation_support import (
    DOMAIN,
    FederationHarness,
    MovableClock,
    RemotePeer,
    StartFederation,
)

from federation.delivery.parked import count_parked, redrive_parked
from federation.delivery.repository import HELD_DELIVERIES, REMOTE_HOSTS
from federation.delivery.rules import host_of
from shared.clock import utc_now
from shared.events.federation import ActivityDeliveryRequested
from shared.testing import DIRECTORY_USERS, wait_until

ALICE = DIRECTORY_USERS[0]
BACKOFF = {
    "delivery_backoff_base_seconds": 60,
    "delivery_backoff_max_seconds": 3600,
    "delivery_give_up_seconds": 86400,
    # Sweeps are the tests' own (below), at the times they choose.
    "delivery_sweep_seconds": 3600,
}


@pytest.fixture
async def down() -> AsyncIterator[RemotePeer]:
    """A second remote server, answering 503 until a test says otherwise."""
    async with RemotePeer(inbox_status=503).served() as remote:
        yield remote


def delivery_to(peer: RemotePeer, note: str) -> ActivityDeliveryRequested:
    return ActivityDeliveryRequested(
        sender_id=ALICE.id,
        key_id=f"http://{DOMAIN}/users/alice#main-key",
        inbox=f"{peer.url}/inbox",
        activity={"id": f"http://{DOMAIN}/activities/{note}", "type": "Create", "note": note},
        requested_at=utc_now(),
    )


def notes(peer: RemotePeer) -> list[str]:
    return [activity["note"] for activity in peer.activities("Create")]


async def health(federation: FederationHarness, peer: RemotePeer) -> dict[str, Any] | None:
    hosts = federation.app.state.runtime.db[REMOTE_HOSTS]
    found: dict[str, Any] | None = await hosts.find_one({"_id": host_of(peer.url)})
    return found


async def sweep(federation: FederationHarness) -> None:
    await federation.app.state.runtime.components.deliveries.sweep()


async def test_a_failing_host_backs_off_ever_longer_while_another_host_gets_its_deliveries(
    start_federation: StartFederation, peer: RemotePeer, down: RemotePeer
) -> None:
    clock = MovableClock()
    async with start_federation(clock, **BACKOFF) as federation:
        await federation.events.publish(delivery_to(down, "d1"))
        assert len(down.received) == 1
        first = await health(federation, down)
        assert first is not None
        assert first["failures"] == 1

        # In its back-off the failing host is not tried; the healthy one is served at once.
        await federation.events.publish(delivery_to(down, "d2"), delivery_to(peer, "p1"))
        assert notes(peer) == ["p1"]
        assert len(down.received) == 1
        clock.advance(59)
        await sweep(federation)
        assert len(down.received) == 1

        waits = []
        for attempt in (2, 3, 4):
            before = await health(federation, down)
            assert before is not None
            clock.now = before["next_attempt_at"]
            await sweep(federation)
            # The oldest held delivery is tried, fails, and the rest wait with it.
            assert len(down.received) == attempt
            after = await health(federation, down)
            assert after is not None
            assert after["failures"] == attempt
            waits.append((after["next_attempt_at"] - clock.now).total_seconds())
        assert waits == [120, 240, 480]
        assert notes(down) == ["d1"] * 4

        await federation.events.publish(delivery_to(peer, "p2"))
        assert notes(peer) == ["p1", "p2"]
        held = federation.app.state.runtime.db[HELD_DELIVERIES]
        assert await held.count_documents({"host": host_of(down.url)}) == 2


async def test_a_host_failing_past_the_bound_is_parked_and_counted_until_it_answers_again(
    start_federation: StartFederation, down: RemotePeer
) -> None:
    clock = MovableClock()
    bound = BACKOFF | {"delivery_backoff_max_seconds": 120, "delivery_give_up_seconds": 600}
    async with start_federation(clock, **bound) as federation:
        await federation.events.publish(delivery_to(down, "d1"))
        while not (state := await health(federation, down))["parked"]:
            clock.now = state["next_attempt_at"]
            await sweep(federation)
        assert (clock.now - state["failing_since"]).total_seconds() >= 600
        tries = len(down.received)

        # Parked: nothing more is tried, however long; new deliveries are held and counted.
        clock.advance(30 * 86400)
        await sweep(federation)
        await federation.events.publish(delivery_to(down, "d2"))
        assert len(down.received) == tries
        db = federation.app.state.runtime.db
        assert await count_parked(db) == {host_of(down.url): 2}

        # It answers again: an operator's redrive makes the next sweep deliver everything held.
        down.inbox_status = 202
        assert await redrive_parked(db) == [host_of(down.url)]
        await sweep(federation)
        assert notes(down)[tries:] == ["d1", "d2"]
        assert await count_parked(db) == {}
        assert await db[HELD_DELIVERIES].count_documents({}) == 0


async def test_a_parked_host_that_sends_an_activity_is_delivered_to_again(
    start_federation: StartFederation, down: RemotePeer
) -> None:
    clock = MovableClock()
    bound = BACKOFF | {"delivery_give_up_seconds": 60}
    async with start_federation(clock, **bound) as federation:
        await federation.events.publish(delivery_to(down, "d1"))
        state = await health(federation, down)
        assert state is not None
        clock.now = state["next_attempt_at"]
        await sweep(federation)
        assert (await health(federation, down) or {}).get("parked") is True

        down.inbox_status = 202
        clock.now = utc_now()  # signatures are dated by the real clock
        answer = await federation.post_signed("/inbox", down.follow("alice"), down)
        assert answer.status_code == 202
        assert await health(federation, down) is None
        await wait_until(lambda: down.accepts() or None)
        await sweep(federation)
        assert notes(down)[-1] == "d1"
