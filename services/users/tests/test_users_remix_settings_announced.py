"""The remix settings of accounts older than `user.remix_settings_changed` are announced once,
at start-up, so the federation service (which takes an account never heard of as one needing
approval) learns them: every live local account not yet announced, the defaults included;
once, however many replicas start together and however often they start again."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from shared.mongo import Database, create_mongo_client
from shared.outbox import OutboxRelay
from shared.personal_data import PERSONAL_DATA_PATH
from shared.testing import (
    EventRecorder,
    FederationStandIn,
    identity_headers,
    running_app,
    running_service,
    wait_until,
)
from users.app import create_app
from users.core.repository import USERS
from users.settings import UsersSettings

CREATED = datetime(2025, 3, 1, tzinfo=UTC)


def stored_account(user_id: str, **fields: Any) -> dict[str, Any]:
    """An account as an earlier version stored it: no mark that its settings were announced."""
    return {
        "_id": user_id,
        "handle": user_id,
        "display_name": user_id.title(),
        "created_at": CREATED,
        "collab_policy": "following",
        "password_hash": None,
        "country": None,
        **fields,
    }


@asynccontextmanager
async def users_database(settings: UsersSettings) -> AsyncIterator[Database]:
    mongo = create_mongo_client(settings)
    try:
        yield mongo[settings.database_name]
    finally:
        await mongo.close()


async def everything_published(
    app: FastAPI, client: httpx.AsyncClient, recorder: EventRecorder, sentinel: str
) -> None:
    """Wait until the recorder has seen every event written so far: the outbox empties, then a
    registration written after that arrives (behind them in the recorder's queue)."""
    relay: OutboxRelay = app.state.runtime.relay
    await wait_until(lambda: _outbox_empty(relay))
    user_id = await register(client, sentinel)

    def arrived() -> bool:
        return any(e.data["user_id"] == user_id for e in recorder.of_type("user.registered"))

    await wait_until(arrived)


async def register(client: httpx.AsyncClient, handle: str) -> str:
    response = await client.post(
        "/v1/users",
        json={"handle": handle, "password": "correct horse", "display_name": handle.title()},
    )
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


async def _outbox_empty(relay: OutboxRelay) -> bool:
    return await relay.pending_count() == 0


def announced(recorder: EventRecorder) -> dict[str, tuple[str, str, datetime]]:
    """{account: (policy, approval, as of)} of the remix settings announced; an event relayed
    twice (by two replicas' relays at once: consumers are idempotent) counts once."""
    envelopes = {e.id: e for e in recorder.of_type("user.remix_settings_changed")}
    events = [e.data for e in envelopes.values()]
    by_user = {
        data["user_id"]: (
            data["remix_policy"],
            data["remix_approval"],
            datetime.fromisoformat(data["changed_at"]),
        )
        for data in events
    }
    assert len(by_user) == len(events), "an account was announced twice"
    return by_user


async def test_start_up_announces_unannounced_accounts_once_and_a_second_start_nothing(
    users_settings: UsersSettings, federation: FederationStandIn, event_recorder: EventRecorder
) -> None:
    async with users_database(users_settings) as db:
        await db[USERS].insert_many(
            [
                stored_account("ann", remix_policy="everyone", remix_approval="manual"),
                stored_account("ben", remix_policy="nobody", remix_approval="automatic"),
                stored_account("cid"),  # older than the remix settings: the defaults
                stored_account("dot", remix_policy="following", remix_settings_announced=True),
                stored_account(
                    "eve@far.example", domain="far.example", actor_url="https://far.example/eve"
                ),
                {"_id": "gone", "created_at": CREATED, "deleted_at": CREATED + timedelta(1)},
            ]
        )
    first = create_app(users_settings, federation_transport=federation.transport())
    async with running_app(first) as client:
        await everything_published(first, client, event_recorder, "zed")

    # As of each account's creation: older than any change announced since.
    assert announced(event_recorder) == {
        "ann": ("everyone", "manual", CREATED),
        "ben": ("nobody", "automatic", CREATED),
        "cid": ("everyone", "automatic", CREATED),
    }

    event_recorder.events.clear()
    second = create_app(users_settings, federation_transport=federation.transport())
    async with running_service(second) as client:
        await everything_published(second, client, event_recorder, "zoe")
    assert announced(event_recorder) == {}


async def test_replicas_starting_together_announce_each_account_once(
    users_settings: UsersSettings, federation: FederationStandIn, event_recorder: EventRecorder
) -> None:
    handles = [f"user{n}" for n in range(30)]
    async with users_database(users_settings) as db:
        await db[USERS].insert_many(
            [stored_account(handle, remix_approval="manual") for handle in handles]
        )
    replicas = [
        create_app(users_settings, federation_transport=federation.transport()) for _ in range(3)
    ]
    async with AsyncExitStack() as stack:
        clients = await asyncio.gather(
            *(stack.enter_async_context(running_service(app)) for app in replicas)
        )
        await everything_published(replicas[0], clients[0], event_recorder, "zed")

        assert sorted(announced(event_recorder)) == sorted(handles)


async def test_registering_and_changing_the_settings_mark_them_announced(
    users_app: FastAPI, client: httpx.AsyncClient, event_recorder: EventRecorder
) -> None:
    ann = await register(client, "ann")
    await register(client, "bob")
    change = await client.patch(
        "/v1/me", json={"remix_approval": "manual"}, headers=identity_headers(ann, "users")
    )
    assert change.status_code == 200, change.text
    await everything_published(users_app, client, event_recorder, "cat")
    assert announced(event_recorder).keys() == {ann}

    # The start-up pass, run again: every account was announced by its own write.
    await users_app.state.runtime.components.accounts.announce_remix_settings()

    await everything_published(users_app, client, event_recorder, "dan")
    assert announced(event_recorder).keys() == {ann}


async def test_the_mark_is_bookkeeping_not_in_the_accounts_export(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")

    answer = await client.get(PERSONAL_DATA_PATH, headers=identity_headers(ann, "users"))

    assert answer.status_code == 200, answer.text
    (account,) = answer.json()["files"]["account.json"]
    assert account["remix_approval"] == "automatic"
    assert "remix_settings_announced" not in account
