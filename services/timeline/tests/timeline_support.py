"""Test helpers for the timeline service: its input events and its API, as a story to tell.

Events arrive as the users and posts services would publish them, from a second bus in the
same namespace; the timelines are read back through the service's HTTP API.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from redis.asyncio import Redis

from shared.events import EventData, EventEnvelope, make_event
from shared.events.posts import (
    PostCoauthorAdded,
    PostCoauthorRemoved,
    PostDeleted,
    PostPublished,
)
from shared.events.users import UserFollowed, UserRegistered
from shared.mongo import Database
from shared.testing import EventInjector, identity_headers, redis_key_prefix, wait_until

START = datetime(2025, 3, 1, tzinfo=UTC)
# Small enough that a test makes a celebrity with a handful of follows.
TEST_CELEBRITY_THRESHOLD = 3


def at(seconds: float) -> datetime:
    """A moment of the test's story, so events can be given in any order."""
    return START + timedelta(seconds=seconds)


class Events:
    """The users' and posts' events, as those services would publish them.

    Each call returns once the timeline service has handled what it sent.
    """

    def __init__(self, injector: EventInjector) -> None:
        self._injector = injector

    async def send(self, *events: EventData | EventEnvelope) -> None:
        envelopes = [
            e if isinstance(e, EventEnvelope) else make_event(e, producer="test") for e in events
        ]
        await self._injector.deliver(*envelopes)

    async def forget(self, envelope: EventEnvelope) -> None:
        """As if the service crashed after handling `envelope` and before recording it."""
        await self._injector.forget_processed(envelope)

    async def register(self, *handles: str) -> None:
        await self.send(
            *(
                UserRegistered(user_id=h, handle=h, display_name=h.title(), created_at=START)
                for h in handles
            )
        )

    async def follow(self, follower: str, followee: str, when: float = 0) -> None:
        await self.send(
            UserFollowed(follower_id=follower, followee_id=followee, followed_at=at(when))
        )

    async def publish(
        self, post: str, author: str, when: float, coauthors: tuple[str, ...] = ()
    ) -> None:
        await self.send(published(post, author, when, coauthors))

    async def add_coauthor(
        self, post: str, author: str, coauthor: str, when: float, credit: str | None = None
    ) -> None:
        await self.send(
            PostCoauthorAdded(
                post_id=post,
                author_id=author,
                coauthor_id=coauthor,
                invitation_id=f"inv-{post}-{coauthor}",
                added_at=at(when),
                credit=credit,
            )
        )

    async def remove_coauthor(
        self,
        post: str,
        author: str,
        coauthor: str,
        when: float,
        reason: Any = "left",
        *,
        was_credited: bool = True,
    ) -> None:
        await self.send(
            PostCoauthorRemoved(
                post_id=post,
                author_id=author,
                coauthor_id=coauthor,
                reason=reason,
                removed_at=at(when),
                was_credited=was_credited,
            )
        )

    async def delete_post(self, post: str, author: str, when: float) -> None:
        await self.send(
            PostDeleted(post_id=post, author_id=author, coauthor_ids=(), deleted_at=at(when))
        )


def published(
    post: str, author: str, when: float, coauthors: tuple[str, ...] = ()
) -> PostPublished:
    return PostPublished(
        post_id=post,
        author_id=author,
        text=f"text of {post}",
        coauthor_ids=coauthors,
        created_at=at(when - 1),
        published_at=at(when),
    )


@dataclass
class TimelineApi:
    """The service's public routes, as the gateway would call them for a user."""

    http: httpx.AsyncClient
    # The service's database, for checks on what it stored (never to arrange a test).
    db: Database

    async def home(self, user: str, **params: Any) -> httpx.Response:
        return await self.http.get(
            "/v1/timeline", params=params, headers=identity_headers(user, "timeline")
        )

    async def home_ids(self, user: str) -> list[str]:
        response = await self.home(user, limit=100)
        assert response.status_code == 200, response.text
        return [post["id"] for post in response.json()["items"]]

    async def home_pages(self, user: str, limit: int) -> list[list[str]]:
        """Every page of the user's home timeline, `limit` posts a page."""
        return await self.pages("home", user, limit)

    async def pages(self, timeline: str, user: str, limit: int) -> list[list[str]]:
        """Every page of the user's `home` or `profile` timeline, `limit` posts a page."""
        read = self.home if timeline == "home" else self.profile
        pages, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            response = await read(user, **params)
            assert response.status_code == 200, response.text
            body = response.json()
            pages.append([post["id"] for post in body["items"]])
            if (cursor := body["next_cursor"]) is None:
                return pages

    async def profile(self, handle: str, viewer: str = "viewer", **params: Any) -> httpx.Response:
        return await self.http.get(
            f"/v1/users/{handle}/posts", params=params, headers=identity_headers(viewer, "timeline")
        )

    async def profile_ids(self, handle: str) -> list[str]:
        response = await self.profile(handle, limit=100)
        assert response.status_code == 200, response.text
        return [post["id"] for post in response.json()["items"]]

    async def wait_for_home(self, user: str, expected: list[str]) -> None:
        async def matches() -> bool:
            return await self.home_ids(user) == expected

        await wait_until(matches)

    async def wait_for_profile(self, handle: str, expected: list[str]) -> None:
        async def matches() -> bool:
            return await self.profile_ids(handle) == expected

        await wait_until(matches)


@dataclass
class Feeds:
    """The test's feeds in Redis, as the service keeps them (never to arrange a test)."""

    redis: Redis
    namespace: str

    def key(self, kind: str, owner: str) -> str:
        return f"{redis_key_prefix(self.namespace)}feed:{kind}:{owner}"

    async def posts(self, kind: str, owner: str) -> list[str] | None:
        """The posts of a feed, newest first; None if Redis holds no such feed."""
        members = await self.redis.zrevrange(self.key(kind, owner), 0, -1)
        return [m.split("|")[1] for m in members if "|" in m] if members else None


async def make_star(events: Events, api: TimelineApi, fans: list[str]) -> None:
    """`star` gets more followers than the test threshold, and so becomes a celebrity."""
    assert len(fans) > TEST_CELEBRITY_THRESHOLD
    for fan in fans:
        await events.follow(fan, "star")
    await wait_for_celebrity(api, "star", celebrity=True)


async def wait_for_celebrity(api: TimelineApi, author: str, *, celebrity: bool) -> None:
    """Until a promotion or demotion of the author has run to its end."""
    settled = {"_id": author, "celebrity": celebrity, "merged_at_read": celebrity}
    await wait_until(lambda: api.db["follower_counts"].find_one(settled))


type TimelineStarter = Callable[..., AbstractAsyncContextManager[TimelineApi]]
