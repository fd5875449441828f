"""Issue 23: an attacker who knows only a handle cannot keep its owner from signing in.

Found open: failures never decayed, the wait grew to 900 s for the right password too, and
`Retry-After` told the attacker when to send the next wrong one. Now a device that signed in
before has a budget of its own, the shared budget's failures decay, and no 429 tells a time.
"""

import asyncio
import time

import httpx
from conftest import E2E_PASSWORD, LOGIN_FAILURE_DECAY_SECONDS, NewUser

from shared.testing import wait_until

WRONG = "not the password at all"


async def sign_in(
    gateway: httpx.AsyncClient, handle: str, password: str, device: str | None = None
) -> httpx.Response:
    headers = {"cookie": f"copost_device={device}"} if device else {}
    answer = await gateway.post(
        "/v1/auth/token", json={"handle": handle, "password": password}, headers=headers
    )
    gateway.cookies.clear()  # each call says itself which device it is
    return answer


async def test_a_guessing_flood_keeps_neither_the_owners_device_out_nor_the_owner_for_long(
    gateway: httpx.AsyncClient, new_user: NewUser
) -> None:
    owner = await new_user("owner")
    first = await sign_in(gateway, owner.handle, E2E_PASSWORD)
    device = first.cookies["copost_device"]

    # The reported attack: 16 wrong sign-ins at once, then more while the owner tries.
    started = time.monotonic()
    flood = await asyncio.gather(*(sign_in(gateway, owner.handle, WRONG) for _ in range(16)))
    from_elsewhere = await sign_in(gateway, owner.handle, E2E_PASSWORD)
    took = time.monotonic() - started
    from_device = await sign_in(gateway, owner.handle, E2E_PASSWORD, device)

    # Within one decay nothing has leaked yet, so the bucket's five is the whole bound.
    assert took < LOGIN_FAILURE_DECAY_SECONDS, f"the flood took {took:.1f} s: nothing to judge"
    # Each guess refused: wrong (401), limited (429), or the hashing slots busy at once (503).
    assert {answer.status_code for answer in flood} <= {401, 429, 503}
    assert sum(answer.status_code == 401 for answer in flood) <= 5  # bounded per account
    assert from_elsewhere.status_code == 429
    assert "retry-after" not in from_elsewhere.headers
    assert from_elsewhere.headers["content-type"].startswith("application/problem+json")
    assert from_device.status_code == 200, from_device.text
    assert from_device.json()["access_token"]

    async def keep_guessing() -> None:
        # As reported (5 more over 150 s), but slower than a failure decays.
        while True:
            await asyncio.sleep(2 * LOGIN_FAILURE_DECAY_SECONDS)
            await sign_in(gateway, owner.handle, WRONG)

    async def owner_signed_in_without_device() -> bool:
        return (await sign_in(gateway, owner.handle, E2E_PASSWORD)).status_code == 200

    # A short wait, never a lock: about one failure's decay, though the guessing goes on.
    guessing = asyncio.create_task(keep_guessing())
    try:
        await wait_until(
            owner_signed_in_without_device, timeout=4 * LOGIN_FAILURE_DECAY_SECONDS, interval=0.2
        )
    finally:
        guessing.cancel()


async def test_the_device_cookie_is_httponly_strict_and_only_for_sign_ins(
    gateway: httpx.AsyncClient, new_user: NewUser
) -> None:
    owner = await new_user("owner")

    answer = await sign_in(gateway, owner.handle, E2E_PASSWORD)

    set_cookie = answer.headers["set-cookie"].lower()
    assert set_cookie.startswith("copost_device=")
    assert "httponly" in set_cookie
    assert "samesite=strict" in set_cookie
    assert "path=/v1/auth" in set_cookie
    # A device token is no access token: the gateway refuses it as one.
    device = answer.cookies["copost_device"]
    refused = await gateway.get("/v1/me", headers={"Authorization": f"Bearer {device}"})
    assert refused.status_code == 401
