"""Streams through the gateway cannot starve others: the review's 200-stream attack replayed.

One account that opens stream after stream gets its cap and 429s; 200 streams open at once
leave another account's notification list and home timeline answering, and a notification
still reaches a stream among them. No timing is asserted beyond the client's timeout, which
is longer than the gateway's upstream timeout: an answer at all is what the attack denied.
"""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from conftest import STREAMS_PER_ACCOUNT, E2EUser, NewUser
from live_stream import NotificationStream

STREAM = "/v1/notifications/stream"
OPEN_STREAMS = 200


@pytest.fixture
async def stream_client(stack: str) -> AsyncIterator[httpx.AsyncClient]:
    """One client for many streams: no connection limit, no read timeout on a quiet stream."""
    async with httpx.AsyncClient(
        base_url=stack,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        timeout=httpx.Timeout(15.0, read=None),
    ) as client:
        yield client


@asynccontextmanager
async def opened_stream(
    client: httpx.AsyncClient, account: E2EUser
) -> AsyncIterator[httpx.Response]:
    async with client.stream("GET", STREAM, params={"access_token": account.token}) as response:
        if response.status_code != 200:
            await response.aread()
        yield response


async def assert_served(account: E2EUser) -> None:
    listed = await account.client.get("/v1/notifications")
    timeline = await account.client.get("/v1/timeline")
    assert listed.status_code == 200, listed.text
    assert timeline.status_code == 200, timeline.text


async def test_one_account_gets_its_stream_cap_and_429s_beyond_it_and_others_are_served(
    new_user: NewUser, stream_client: httpx.AsyncClient
) -> None:
    attacker = await new_user("attacker")
    victim = await new_user("victim")
    async with AsyncExitStack() as streams:
        answers = [
            await streams.enter_async_context(opened_stream(stream_client, attacker))
            for _ in range(STREAMS_PER_ACCOUNT + 20)
        ]
        statuses = [answer.status_code for answer in answers]
        assert statuses == [200] * STREAMS_PER_ACCOUNT + [429] * 20
        refused = answers[-1]
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1

        await assert_served(victim)


async def test_two_hundred_open_streams_leave_another_accounts_list_and_timeline_answering(
    new_user: NewUser, stream_client: httpx.AsyncClient
) -> None:
    holders = [await new_user("holder") for _ in range(OPEN_STREAMS // STREAMS_PER_ACCOUNT)]
    victim = await new_user("victim")
    async with AsyncExitStack() as streams:
        opened = [
            await streams.enter_async_context(opened_stream(stream_client, holder))
            for holder in holders
            for _ in range(STREAMS_PER_ACCOUNT)
        ]
        assert [answer.status_code for answer in opened] == [200] * OPEN_STREAMS

        await assert_served(victim)

        # The streams are live, fed by their replica's one change feed.
        followed = await victim.client.put(f"/v1/users/{holders[0].handle}/follow")
        assert followed.status_code in {200, 204}, followed.text
        notification = await NotificationStream(opened[0]).next_notification(within=10.0)
        assert notification.data["type"] == "follower.new"
        assert notification.data["actor"]["handle"] == victim.handle
