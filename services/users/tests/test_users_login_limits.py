"""Sign-ins that stay their owner's (issue 23): per-account budgets of wrong passwords that
decay, a budget of its own for a device that signed in before, and hashing slots shared
fairly between clients."""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from shared.testing import running_service, wait_until
from users.accounts.passwords import Hashing, PasswordHasher
from users.accounts.rules import HashingBusy
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
    """Three free wrong passwords per kind of client; a failure decays in a minute."""
    async with start_users(login_free_failures=3, login_failure_decay_seconds=60) as client:
        yield client


async def register(client: httpx.AsyncClient, handle: str) -> None:
    response = await client.post(
        "/v1/users", json={"handle": handle, "password": PASSWORD, "display_name": handle}
    )
    assert response.status_code == 201, response.text


def device_cookie(token: str) -> dict[str, str]:
    return {"cookie": f"copost_device={token}"}


async def device_cookie_of(client: httpx.AsyncClient, handle: str) -> str:
    """The owner signs in once from this device and keeps its device cookie."""
    signed_in = await sign_in(client, handle, PASSWORD)
    assert signed_in.status_code == 200, signed_in.text
    cookie = signed_in.cookies["copost_device"]
    set_cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=strict" in set_cookie
    assert "path=/v1/auth" in set_cookie
    client.cookies.clear()
    return cookie


async def test_guesses_past_the_free_ones_are_refused_unhashed_and_tell_no_time(
    guarded: httpx.AsyncClient,
) -> None:
    await register(guarded, "victim")
    answers = [(await sign_in(guarded, "victim", WRONG)).status_code for _ in range(3)]

    refused = await sign_in(guarded, "victim", PASSWORD)

    assert answers == [401, 401, 401]
    assert refused.status_code == 429
    assert "retry-after" not in refused.headers
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_a_device_that_signed_in_before_keeps_signing_in_while_others_guess(
    guarded: httpx.AsyncClient,
) -> None:
    await register(guarded, "owner")
    device = await device_cookie_of(guarded, "owner")
    for _ in range(10):
        await sign_in(guarded, "owner", WRONG)
    assert (await sign_in(guarded, "owner", PASSWORD)).status_code == 429

    owner = await guarded.post(
        "/v1/auth/token",
        json={"handle": "owner", "password": PASSWORD},
        headers=device_cookie(device),
    )

    assert owner.status_code == 200, owner.text
    # The device keeps its identity: its renewed cookie is again good for this account.
    renewed = owner.cookies["copost_device"]
    guarded.cookies.clear()
    again = await guarded.post(
        "/v1/auth/token",
        json={"handle": "owner", "password": PASSWORD},
        headers=device_cookie(renewed),
    )
    assert again.status_code == 200


async def test_a_device_budget_is_its_own_and_bounded_too(guarded: httpx.AsyncClient) -> None:
    await register(guarded, "typist")
    device = await device_cookie_of(guarded, "typist")

    async def from_device(password: str) -> int:
        answer = await guarded.post(
            "/v1/auth/token",
            json={"handle": "typist", "password": password},
            headers=device_cookie(device),
        )
        guarded.cookies.clear()
        return answer.status_code

    answers = [await from_device(WRONG) for _ in range(4)]
    # Spent on the device; the unknown clients' budget is untouched.
    assert answers == [401, 401, 401, 429]
    assert (await sign_in(guarded, "typist", PASSWORD)).status_code == 200


async def test_a_device_cookie_of_another_account_or_forged_gives_no_budget(
    guarded: httpx.AsyncClient,
) -> None:
    await register(guarded, "target")
    await register(guarded, "attacker")
    own_device = await device_cookie_of(guarded, "attacker")
    for _ in range(3):
        await sign_in(guarded, "target", WRONG)

    for cookie in (own_device, own_device[:-4] + "AAAA", "not-a-token"):
        answer = await guarded.post(
            "/v1/auth/token",
            json={"handle": "target", "password": WRONG},
            headers=device_cookie(cookie),
        )
        guarded.cookies.clear()
        assert answer.status_code == 429


async def test_failures_decay_one_at_a_time_so_the_owner_waits_briefly_not_for_good(
    start_users: Callable[..., Any],
) -> None:
    async with start_users(login_free_failures=2, login_failure_decay_seconds=0.5) as client:
        await register(client, "patient")
        for _ in range(2):
            await sign_in(client, "patient", WRONG)
        assert (await sign_in(client, "patient", PASSWORD)).status_code == 429

        async def signed_in() -> bool:
            return (await sign_in(client, "patient", PASSWORD)).status_code == 200

        await wait_until(signed_in, timeout=5)
        # The success emptied the budget: the owner's next typos are free again.
        assert [(await sign_in(client, "patient", WRONG)).status_code for _ in range(3)] == [
            401,
            401,
            429,
        ]


async def test_concurrent_guesses_cannot_share_one_unit_of_room(
    guarded: httpx.AsyncClient,
) -> None:
    await register(guarded, "raced")

    answers = await asyncio.gather(*(sign_in(guarded, "raced", WRONG) for _ in range(12)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(401) <= 3
    assert set(statuses) <= {401, 429, 503}


async def test_one_client_never_holds_every_hashing_slot() -> None:
    hasher = PasswordHasher(memory_kib=8192, time_cost=1, concurrency=2, max_wait_seconds=5)
    flood = [hasher.hash(PASSWORD, Hashing.of("203.0.113.7")) for _ in range(20)]
    flooding = asyncio.gather(*flood, return_exceptions=True)
    await asyncio.sleep(0)  # the flood takes what it can first

    owner = await asyncio.wait_for(hasher.hash(PASSWORD, Hashing.of("198.51.100.1")), 5)

    outcomes = await flooding
    assert owner
    # The flood got one slot (half of two) and two places in the queue: the rest at once 503.
    assert sum(isinstance(outcome, HashingBusy) for outcome in outcomes) == 17


async def test_a_freed_slot_goes_to_a_known_device_before_the_crowd() -> None:
    hasher = PasswordHasher(memory_kib=8192, time_cost=1, concurrency=1, max_wait_seconds=5)
    order: list[str] = []

    async def hashed(name: str, who: Hashing) -> None:
        await hasher.hash(PASSWORD, who)
        order.append(name)

    crowd = [hashed(f"crowd{n}", Hashing.of(f"203.0.113.{n}")) for n in range(4)]
    tasks = [asyncio.ensure_future(c) for c in crowd]
    await asyncio.sleep(0)
    known = asyncio.ensure_future(hashed("owner", Hashing.of("2001:db8::1", known_device=True)))
    await asyncio.gather(*tasks, known)

    assert order[:2] == ["crowd0", "owner"]


def test_ipv6_clients_count_by_their_64() -> None:
    assert Hashing.of("2001:db8:1:2::1").client == Hashing.of("2001:db8:1:2:ffff::9").client
    assert Hashing.of("2001:db8:1:3::1").client != Hashing.of("2001:db8:1:2::1").client
    assert Hashing.of("not an address").client == "unknown"


async def test_a_busy_hasher_answers_503_with_retry_after(
    start_users: Callable[..., Any],
) -> None:
    async with start_users(password_hashing_concurrency=1, password_hashing_memory_mib=8) as client:
        # Unknown handles: no account budget stops any of them before hashing.
        answers = await asyncio.gather(*(sign_in(client, f"nobody{n}", WRONG) for n in range(10)))

    busy = [answer for answer in answers if answer.status_code == 503]
    assert busy
    assert all(answer.headers["retry-after"] == "1" for answer in busy)
    assert {answer.status_code for answer in answers} <= {401, 429, 503}


def test_each_hash_gets_the_memory_budget_divided_by_the_concurrency() -> None:
    settings = UsersSettings(password_hashing_memory_mib=80, password_hashing_concurrency=4)

    assert settings.password_hash_memory_kib == 20 * 1024
    with pytest.raises(ValueError, match="8 MiB"):
        UsersSettings(password_hashing_memory_mib=16, password_hashing_concurrency=4)
