"""Sign-ins that hold: bounded hashing that fails fast, and per-account backoff on guesses."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from shared.testing import running_service, wait_until
from users.accounts.passwords import PasswordHasher
from users.accounts.rules import HashingBusy, LoginBackoff
from users.app import create_app
from users.settings import UsersSettings

PASSWORD = "correct horse battery"
WRONG = "not the password at all"


async def sign_in(client: httpx.AsyncClient, handle: str, password: str) -> httpx.Response:
    return await client.post("/v1/auth/token", json={"handle": handle, "password": password})


@pytest.fixture
def start_users(users_settings: UsersSettings) -> Callable[..., Any]:
    def start(**overrides: Any) -> Any:
        settings = users_settings.model_copy(update=overrides)
        return running_service(create_app(settings))

    return start


@pytest.fixture
async def guarded(
    start_users: Callable[..., Any],
) -> AsyncIterator[httpx.AsyncClient]:
    """Three free wrong passwords, then a wait of 30 s, doubling."""
    async with start_users(login_free_failures=3, login_backoff_base_seconds=30) as client:
        yield client


async def register(client: httpx.AsyncClient, handle: str) -> None:
    response = await client.post(
        "/v1/users", json={"handle": handle, "password": PASSWORD, "display_name": handle}
    )
    assert response.status_code == 201, response.text


async def test_guesses_past_the_free_ones_are_refused_unhashed_even_the_right_one(
    guarded: httpx.AsyncClient,
) -> None:
    await register(guarded, "victim")
    answers = [(await sign_in(guarded, "victim", WRONG)).status_code for _ in range(3)]

    refused = await sign_in(guarded, "victim", PASSWORD)

    assert answers == [401, 401, 401]
    assert refused.status_code == 429
    assert 25 <= int(refused.headers["retry-after"]) <= 30
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_after_the_wait_the_right_password_signs_in_and_the_count_starts_over(
    start_users: Callable[..., Any],
) -> None:
    async with start_users(login_free_failures=2, login_backoff_base_seconds=0.3) as client:
        await register(client, "patient")
        for _ in range(2):
            await sign_in(client, "patient", WRONG)

        async def signed_in() -> bool:
            return (await sign_in(client, "patient", PASSWORD)).status_code == 200

        await wait_until(signed_in, timeout=5)
        assert (await sign_in(client, "patient", WRONG)).status_code == 401


def test_the_wait_doubles_from_the_base_up_to_the_maximum() -> None:
    backoff = LoginBackoff(free_failures=5, base_seconds=1, max_seconds=60)

    waits = [backoff.wait_after(n) for n in (1, 4, 5, 6, 7, 12)]

    assert waits == [0, 0, 1, 2, 4, 60]


async def test_hashes_beyond_the_concurrency_are_refused_at_once_not_queued() -> None:
    hasher = PasswordHasher(memory_kib=8192, time_cost=1, concurrency=1)
    attempts: list[Awaitable[str]] = [hasher.hash(PASSWORD) for _ in range(10)]

    outcomes = await asyncio.gather(*attempts, return_exceptions=True)

    assert sum(isinstance(outcome, str) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, HashingBusy) for outcome in outcomes) == 9
    assert await hasher.hash(PASSWORD)  # the slot is free again


async def test_a_busy_hasher_answers_503_with_retry_after(
    start_users: Callable[..., Any],
) -> None:
    async with start_users(password_hashing_concurrency=1, password_hashing_memory_mib=8) as client:
        await register(client, "crowd")
        answers = await asyncio.gather(*(sign_in(client, "crowd", WRONG) for _ in range(10)))

    busy = [answer for answer in answers if answer.status_code == 503]
    assert busy
    assert all(answer.headers["retry-after"] == "1" for answer in busy)
    assert {answer.status_code for answer in answers} <= {401, 429, 503}


def test_each_hash_gets_the_memory_budget_divided_by_the_concurrency() -> None:
    settings = UsersSettings(password_hashing_memory_mib=80, password_hashing_concurrency=4)

    assert settings.password_hash_memory_kib == 20 * 1024
    with pytest.raises(ValueError, match="8 MiB"):
        UsersSettings(password_hashing_memory_mib=16, password_hashing_concurrency=4)
