"""SIGTERM under load, on the local stack's real processes: what was in flight is finished.

A stack of its own, supervised as `make run` supervises it (a stopped process is started
again). The users service and the gateway get SIGTERM while sign-ups (an Argon2 hash each,
the slowest request there is) are in flight: each is answered 201 and the account exists. The
timeline service gets SIGTERM in the middle of a burst of posts it fans out: every message it
held was either handled and acknowledged or left to the broker and handled once after the
restart, so each follower's home holds each post once. Each stop is clean (uvicorn's exit after
the drain, not the watchdog's) and within SHUTDOWN_GRACE_SECONDS. A live notification stream
through the gateway ends at once when the notifications service or the gateway stops, and
resumes after the restart from its last event id.
"""

import asyncio
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from collaboration import timeline_post_ids
from conftest import E2E_PASSWORD, E2EUser, running_local_stack, user_factory
from faults import TERM, LocalProcessFaults
from live_stream import notification_stream

from shared.lifecycle import CUT_RESERVE
from shared.testing import wait_until

# The overlays give 10 s (SHUTDOWN_GRACE_SECONDS) inside a grace period of 20 s.
SHUTDOWN_GRACE_SECONDS = 10.0
# As many as the users service hashes at once (PASSWORD_HASHING_CONCURRENCY): one more is
# refused at once with 503, whatever the stop.
SIGN_UPS = 4
POSTS = 24
FOLLOWERS = 3
RECOVERY_SECONDS = 120.0
STOPPED_CLEANLY = -signal.SIGTERM
IN_FLIGHT = re.compile(r'^copost_http_requests_in_flight\{service="(\w+)"\} (\S+)$', re.M)


@pytest.fixture(scope="module")
async def faults(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalProcessFaults]:
    settings = {"SHUTDOWN_GRACE_SECONDS": str(SHUTDOWN_GRACE_SECONDS)}
    async with (
        running_local_stack(tmp_path_factory, settings) as stack,
        LocalProcessFaults(stack).supervising() as supervised,
    ):
        yield supervised


async def in_flight(url: str) -> float:
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"{url}/metrics")).text
    return sum(float(value) for _, value in IN_FLIGHT.findall(text))


async def stop_while_in_flight(faults: LocalProcessFaults, name: str) -> None:
    """SIGTERM once the process serves sign-ups; it must stop cleanly within the grace."""
    process = next(p for p in faults.stack.processes if p.name == name)
    popen = process.popen
    await wait_until(lambda: in_flight(process.url), timeout=30.0, interval=0.02)
    signalled = time.monotonic()
    await faults.inject(TERM, name)
    assert popen.returncode == STOPPED_CLEANLY, popen.returncode
    assert time.monotonic() - signalled < SHUTDOWN_GRACE_SECONDS


@pytest.mark.parametrize("stopped", ["users", "gateway"])
async def test_requests_in_flight_at_sigterm_are_answered(
    faults: LocalProcessFaults, stopped: str
) -> None:
    gateway_url = faults.stack.gateway_url
    handles = [f"gs{stopped[:4]}{n}{time.time_ns() % 10**9}" for n in range(SIGN_UPS)]

    async def sign_up(handle: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
            body = {"handle": handle, "password": E2E_PASSWORD, "display_name": "Graceful"}
            return await client.post("/v1/users", json=body)

    answers, _ = await asyncio.gather(
        asyncio.gather(*(sign_up(handle) for handle in handles)),
        stop_while_in_flight(faults, stopped),
    )
    refused = [(a.status_code, a.text) for a in answers if a.status_code != 201]
    assert not refused, refused
    await faults.recovered(stopped, RECOVERY_SECONDS)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        for handle in handles:
            signed_in = await client.post(
                "/v1/auth/token", json={"handle": handle, "password": E2E_PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text


async def test_events_handled_at_sigterm_are_applied_once(faults: LocalProcessFaults) -> None:
    async with user_factory(faults.stack.gateway_url) as new_user:
        ada = await new_user("ada")
        followers = [await new_user(f"fol{n}") for n in range(FOLLOWERS)]
        for follower in followers:
            response = await follower.client.put(f"/v1/users/{ada.handle}/follow")
            assert response.status_code == 204
        timeline = next(p for p in faults.stack.processes if p.name == "timeline")
        popen = timeline.popen
        posted: list[str] = []

        async def post(number: int) -> None:
            response = await ada.client.post("/v1/posts", json={"text": f"drained {number}"})
            assert response.status_code == 201, response.text
            posted.append(response.json()["id"])

        async def stop_mid_burst() -> None:
            await wait_until(lambda: len(posted) >= POSTS // 3, timeout=60.0)
            signalled = time.monotonic()
            await faults.inject(TERM, "timeline")
            assert popen.returncode == STOPPED_CLEANLY, popen.returncode
            assert time.monotonic() - signalled < SHUTDOWN_GRACE_SECONDS

        await asyncio.gather(stop_mid_burst(), *(post(n) for n in range(POSTS)))
        await faults.recovered("timeline", RECOVERY_SECONDS)
        for follower in followers:

            async def holds_every_post(reader: E2EUser = follower) -> Counter[str] | None:
                seen = Counter(await timeline_post_ids(reader))
                return seen if set(posted) <= set(seen) else None

            seen = await wait_until(holds_every_post, timeout=RECOVERY_SECONDS, interval=0.5)
            assert seen == Counter(posted), seen


@pytest.mark.parametrize("stopped", ["notifications", "gateway"])
async def test_a_live_stream_ends_at_sigterm_and_resumes_from_its_last_event_id(
    faults: LocalProcessFaults, stopped: str
) -> None:
    """A stream is ended at once (not at the cut), so its client reconnects, to another
    replica in a deployment, and resumes from its last event id missing nothing."""
    gateway_url = faults.stack.gateway_url
    async with user_factory(gateway_url) as new_user:
        ada, bob, cat = await new_user("ada"), await new_user("bob"), await new_user("cat")
        async with notification_stream(gateway_url, ada.token) as stream:
            assert (await bob.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 204
            first = await stream.next_notification(within=30)
            signalled = time.monotonic()
            stopping = asyncio.create_task(faults.inject(TERM, stopped))
            with pytest.raises((AssertionError, httpx.HTTPError)):
                await stream.next_notification(within=SHUTDOWN_GRACE_SECONDS)
            ended_after = time.monotonic() - signalled
            await stopping
        assert ended_after < SHUTDOWN_GRACE_SECONDS - CUT_RESERVE, ended_after
        await faults.recovered(stopped, RECOVERY_SECONDS)
        assert (await cat.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 204
        async with notification_stream(gateway_url, ada.token, last_event_id=first.id) as resumed:
            missed = await resumed.next_notification(within=30)
    assert first.data["actor"]["handle"] == bob.handle
    assert missed.data["actor"]["handle"] == cat.handle
