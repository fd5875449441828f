"""Fixtures of the users service's tests: the app on the real broker and the embedded MongoDB."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.testing import (
    EventInjector,
    EventRecorder,
    event_injector,
    running_service,
    test_settings,
)
from users.app import create_app
from users.settings import UsersSettings

PASSWORD = "correct horse battery"


# The production cost of argon2 would dominate the suite's time; the algorithm is the same.
CHEAP_HASHING = {
    "password_hashing_memory_mib": 32,
    "password_hashing_concurrency": 4,
    "password_hash_time_cost": 1,
}


@pytest.fixture
def users_settings(mongo_url: str, amqp_url: str, namespace: str) -> UsersSettings:
    return test_settings(
        UsersSettings, mongo_url=mongo_url, amqp_url=amqp_url, namespace=namespace, **CHEAP_HASHING
    )


@pytest.fixture
def users_app(users_settings: UsersSettings) -> FastAPI:
    return create_app(users_settings)


@pytest.fixture
async def client(
    users_app: FastAPI, event_recorder: EventRecorder
) -> AsyncIterator[httpx.AsyncClient]:
    """The running app; the recorder is bound before it starts, so it sees every event."""
    async with running_service(users_app) as http:
        yield http


@pytest.fixture
async def events(
    users_app: FastAPI, client: httpx.AsyncClient, amqp_url: str, namespace: str
) -> AsyncIterator[EventInjector]:
    """Other services' events (the federation service's), published to the running app."""
    async with event_injector(
        users_app.state.runtime.db, amqp_url=amqp_url, namespace=namespace
    ) as injector:
        yield injector


@pytest.fixture
def register(client: httpx.AsyncClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Register an account (password PASSWORD unless given) and answer the User."""

    async def register_account(
        handle: str, *, password: str = PASSWORD, display_name: str = ""
    ) -> dict[str, Any]:
        response = await client.post(
            "/v1/users",
            json={"handle": handle, "password": password, "display_name": display_name or handle},
        )
        assert response.status_code == 201, response.text
        user: dict[str, Any] = response.json()
        return user

    return register_account
