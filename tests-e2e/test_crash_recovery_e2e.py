"""Crash recovery under the local stack: consumers killed mid-burst lose and double nothing.

A stack of its own (it has processes killed), supervised as `make run` supervises it: the
timeline and notifications services are killed with SIGKILL in the middle of a burst of posts
and follows, the stack restarts them with backoff, and the events they were handling when
they died are redelivered to them.
"""

import asyncio
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from collaboration import Account
from conftest import E2EUser, running_local_stack, user_factory
from stack import LocalStack

from shared.testing import wait_until

POSTS = 30
COAUTHORED_EVERY = 3  # every third post invites Bob: an invitation notification each
FANS = 10  # new followers of Ada during the burst: a follower notification each
CONCURRENT_REQUESTS = 6
KILLED = ("timeline", "notifications")
SUPERVISE_SECONDS = 0.2
# Redelivery, restart (1 s backoff, then the service's start-up) and catching up.
RECOVERY_SECONDS = 90.0


@dataclass
class SupervisedStack:
    stack: LocalStack
    notes: list[str] = field(default_factory=list)

    def kill(self, name: str) -> None:
        process = next(p for p in self.stack.processes if p.name == name)
        os.kill(process.popen.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
async def supervised(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SupervisedStack]:
    """A stack of its own, whose dead processes are restarted as `make run` restarts them."""
    async with running_local_stack(tmp_path_factory) as stack:
        supervised = SupervisedStack(stack)

        async def supervise() -> None:
            while True:
                supervised.notes.extend(stack.supervise())
                await asyncio.sleep(SUPERVISE_SECONDS)

        supervisor = asyncio.create_task(supervise())
        try:
            yield supervised
        finally:
            supervisor.cancel()
            with pytest.raises(asyncio.CancelledError):
                await supervisor


async def all_items(account: Account, path: str) -> list[dict[str, Any]]:
    """Every item of a paginated list, following the cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await account.client.get(path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


async def test_killed_timeline_and_notifications_are_restarted_and_every_change_arrives_once(
    supervised: SupervisedStack,
) -> None:
    async with user_factory(supervised.stack.gateway_url) as new_user:
        ada = await new_user("ada")
        bob = await new_user("bob", collab_policy="everyone")
        fay = await new_user("fay")
        fans = [await new_user(f"fan{n}") for n in range(FANS)]
        assert (await fay.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 204
        acknowledged_posts: list[str] = []
        invited_to: list[str] = []
        acknowledged_follows = [fay.id]
        limit = asyncio.Semaphore(CONCURRENT_REQUESTS)

        async def post(number: int) -> None:
            coauthors = [bob.handle] if number % COAUTHORED_EVERY == 0 else []
            async with limit:
                response = await ada.client.post(
                    "/v1/posts", json={"text": f"burst post {number}", "coauthors": coauthors}
                )
            assert response.status_code == 201, response.text
            acknowledged_posts.append(response.json()["id"])
            if coauthors:
                invited_to.append(response.json()["id"])

        async def follow(fan: E2EUser) -> None:
            async with limit:
                response = await fan.client.put(f"/v1/users/{ada.handle}/follow")
            assert response.status_code == 204, response.text
            acknowledged_follows.append(fan.id)

        async def kill_mid_burst() -> None:
            await wait_until(lambda: len(acknowledged_posts) >= POSTS // 3, timeout=60.0)
            for name in KILLED:
                supervised.kill(name)

        await asyncio.gather(
            kill_mid_burst(),
            *(post(number) for number in range(POSTS)),
            *(follow(fan) for fan in fans),
        )

        def restarted() -> bool:
            return all(f"{name} restarted" in " ".join(supervised.notes) for name in KILLED)

        await wait_until(restarted, timeout=30.0)
        for name in KILLED:
            assert f"{name} exited (code -9); restarting in 1s" in supervised.notes
            await asyncio.to_thread(supervised.stack.wait_ready, name)

        async def home_timeline_holds_every_post() -> Counter[str] | None:
            seen = Counter(p["id"] for p in await all_items(fay, "/v1/timeline"))
            return seen if set(seen) == set(acknowledged_posts) else None

        timeline = await wait_until(home_timeline_holds_every_post, timeout=RECOVERY_SECONDS)
        assert timeline == Counter(acknowledged_posts)

        async def notified(account: E2EUser, kind: str, key: str, expected: list[str]) -> None:
            async def all_arrived() -> Counter[str] | None:
                items = await all_items(account, "/v1/notifications")
                seen = Counter(key_of(n, key) for n in items if n["type"] == kind)
                return seen if set(seen) == set(expected) else None

            arrived = await wait_until(all_arrived, timeout=RECOVERY_SECONDS)
            assert arrived == Counter(expected)

        await notified(bob, "invitation.received", "post_id", invited_to)
        await notified(ada, "follower.new", "actor", acknowledged_follows)


def key_of(notification: dict[str, Any], key: str) -> str:
    if key == "actor":
        return str(notification["actor"]["id"])
    return str(notification[key])
