"""A burst of posts and follows with a failure in the middle, and what must hold afterwards.

Ada posts while new users follow Bob; partway through, `disrupt` breaks something (a killed
service, a stopped broker node). Each change the gateway acknowledged must then reach its
readers exactly once: every acknowledged post is on the home timeline of each of Ada's
followers (a fan-out audience, below the celebrity threshold), and Bob has one `follower.new`
notification per acknowledged follow. Unacknowledged changes may be lost; nothing may double.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from collaboration import timeline_post_ids
from conftest import E2EUser, NewUser

from shared.testing import wait_until

POSTS = 30
FOLLOWS = 12
READERS = 2
# Crashed containers restart and redelivered messages settle within this.
SETTLE_SECONDS = 120.0


@dataclass
class Acknowledged:
    """The changes whose requests the gateway answered with success."""

    post_ids: list[str] = field(default_factory=list)
    follower_handles: list[str] = field(default_factory=list)
    refused: int = 0


async def burst_with_failure(
    new_user: NewUser,
    disrupt: Callable[[], Awaitable[None]],
    recover: Callable[[], Awaitable[None]],
) -> Acknowledged:
    """Run the burst, `disrupt` after a third of the posts, `recover` after the burst."""
    ada, bob = await new_user("ada"), await new_user("bob")
    readers = [await new_user(f"reader{i}") for i in range(READERS)]
    followers = [await new_user(f"fan{i}") for i in range(FOLLOWS)]
    for reader in readers:
        assert (await reader.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 204
    acknowledged = Acknowledged()

    async def post_all() -> None:
        for number in range(POSTS):
            if number == POSTS // 3:
                await disrupt()
            response = await _attempt(ada.client.post, "/v1/posts", json={"text": f"#{number}"})
            if response is not None and response.status_code == 201:
                acknowledged.post_ids.append(response.json()["id"])
            else:
                acknowledged.refused += 1

    async def follow_all() -> None:
        for follower in followers:
            response = await _attempt(follower.client.put, f"/v1/users/{bob.handle}/follow")
            if response is not None and response.status_code == 204:
                acknowledged.follower_handles.append(follower.handle)
            else:
                acknowledged.refused += 1

    await asyncio.gather(post_all(), follow_all())
    await recover()

    for reader in readers:
        await _home_timeline_holds_once(reader, acknowledged.post_ids)
    await _follower_notifications_once(bob, acknowledged.follower_handles)
    return acknowledged


async def _attempt(
    send: Callable[..., Awaitable[httpx.Response]], path: str, **kwargs: object
) -> httpx.Response | None:
    """One request; a transport error (nothing acknowledged) is None."""
    try:
        return await send(path, **kwargs)
    except httpx.TransportError:
        return None


async def _home_timeline_holds_once(reader: E2EUser, post_ids: list[str]) -> None:
    async def settled() -> bool:
        return sorted(await timeline_post_ids(reader)) == sorted(post_ids)

    try:
        await wait_until(settled, timeout=SETTLE_SECONDS, interval=0.5)
    except AssertionError:
        shown = await timeline_post_ids(reader)
        missing = set(post_ids) - set(shown)
        doubled = {post_id for post_id in shown if shown.count(post_id) > 1}
        raise AssertionError(
            f"{reader.handle}'s home timeline: missing {missing}, doubled {doubled}"
        ) from None


async def _follower_notifications_once(followee: E2EUser, follower_handles: list[str]) -> None:
    async def announced() -> list[str]:
        response = await followee.client.get("/v1/notifications", params={"limit": 100})
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        return sorted(n["actor"]["handle"] for n in items if n["type"] == "follower.new")

    async def settled() -> bool:
        return await announced() == sorted(follower_handles)

    try:
        await wait_until(settled, timeout=SETTLE_SECONDS, interval=0.5)
    except AssertionError:
        raise AssertionError(
            f"follower.new for {await announced()}, expected once each for "
            f"{sorted(follower_handles)}"
        ) from None
