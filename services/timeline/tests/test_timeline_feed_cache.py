"""The feeds in Redis: rebuilt from MongoDB when flushed, each entry once whatever the events'
order, and MongoDB serving the reads while Redis is away (with nothing lost when it is back)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from redis.asyncio import Redis
from timeline_support import Events, TimelineApi, TimelineStarter, make_star, published

from shared.events import make_event
from shared.redis_store import delete_keys
from shared.testing import redis_key_prefix, wait_until

FOLLOWERS = ["f1", "f2", "f3", "f4", "f5"]


async def pages_of(api: TimelineApi, path: str, user: str) -> list[list[str]]:
    """Every page of a timeline, two posts a page."""
    return await api.pages(path, user, limit=2)


async def every_page(api: TimelineApi) -> dict[str, list[list[str]]]:
    users = ["star", "ann", "bob", *FOLLOWERS]
    homes = {f"home {u}": await pages_of(api, "home", u) for u in users}
    profiles = {f"profile {u}": await pages_of(api, "profile", u) for u in users}
    return homes | profiles


async def a_social_graph(events: Events, api: TimelineApi) -> None:
    """ann and bob fanned out, star merged in at read time, posts co-authored across them."""
    await events.register("star", "ann", "bob", *FOLLOWERS)
    await make_star(events, api, FOLLOWERS)
    for follower in FOLLOWERS[:3]:
        await events.follow(follower, "ann")
    for follower in FOLLOWERS[2:]:
        await events.follow(follower, "bob")
    await events.send(
        published("a1", "ann", when=10),
        published("b1", "bob", when=11, coauthors=("ann",)),
        published("s1", "star", when=12),
        published("a2", "ann", when=13, coauthors=("star",)),
        published("b2", "bob", when=14),
        published("s2", "star", when=15, coauthors=("bob",)),
    )
    await api.wait_for_home("f3", ["s2", "b2", "a2", "s1", "b1", "a1"])


async def feed_keys(redis: Redis, namespace: str) -> list[str]:
    return sorted(await redis.keys(f"{redis_key_prefix(namespace)}feed:*"))


async def test_flushed_feeds_come_back_complete_from_mongodb(
    events: Events, api: TimelineApi, redis_url: str, namespace: str
) -> None:
    await a_social_graph(events, api)
    before = await every_page(api)
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        assert await feed_keys(redis, namespace)  # the reads built the feeds
        await delete_keys(redis, f"{redis_key_prefix(namespace)}*")
        assert await every_page(api) == before
        # Rebuilt, and kept up by the fan-out from then on.
        assert len(await feed_keys(redis, namespace)) == len(before)
        await events.publish("a3", "ann", when=20)
        await delete_keys(redis, f"{redis_key_prefix(namespace)}feed:home:f3")
        await events.publish("b3", "bob", when=21)
    finally:
        await redis.aclose()
    assert (await pages_of(api, "home", "f3"))[0] == ["b3", "a3"]
    assert (await pages_of(api, "home", "f4"))[0] == ["b3", "s2"]
    assert (await pages_of(api, "profile", "ann"))[0] == ["a3", "a2"]


async def test_repeated_and_reordered_events_leave_each_entry_once(
    events: Events, api: TimelineApi, redis_url: str, namespace: str
) -> None:
    await events.register("ann", "x")
    await events.follow("x", "ann", when=1)
    await api.wait_for_home("x", [])  # builds the feed
    posts = [make_event(published(f"p{n}", "ann", when=10 + n), producer="posts") for n in range(4)]
    await events.send(*reversed(posts))
    await events.send(*posts)
    for envelope in posts:
        await events.forget(envelope)  # as if each crashed before being recorded
    await events.send(*posts)
    await api.wait_for_home("x", ["p3", "p2", "p1", "p0"])

    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        home = await redis.zrange(f"{redis_key_prefix(namespace)}feed:home:x", 0, -1)
    finally:
        await redis.aclose()
    entries = [member.split("|")[1] for member in home if "|" in member]
    assert entries == ["p0", "p1", "p2", "p3"]
    assert await pages_of(api, "home", "x") == [["p3", "p2"], ["p1", "p0"]]


async def test_without_redis_reads_come_from_mongodb_and_readiness_says_so(
    events: Events, start_timeline: TimelineStarter
) -> None:
    async with start_timeline(redis_url="redis://127.0.0.1:1/0") as api:
        await events.register("ann", "x")
        await events.follow("x", "ann")
        await events.publish("p1", "ann", when=10)
        await events.publish("p2", "ann", when=11)
        await api.wait_for_home("x", ["p2", "p1"])
        assert await api.profile_ids("ann") == ["p2", "p1"]
        ready = await api.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["degraded"] == ["redis"]


class Relay:
    """A TCP relay to the test Redis: closed, it is a Redis that went away (the shared server
    itself is never stopped)."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 6379
        self._server: asyncio.Server | None = None
        self._streams: list[asyncio.StreamWriter] = []
        self.port = 0

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in self._streams:
                writer.close()
            await self._server.wait_closed()
            self._server, self._streams = None, []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(self._host, self._port)
        self._streams += [writer, upstream_writer]
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


@asynccontextmanager
async def relay_to(redis_url: str) -> AsyncIterator[Relay]:
    relay = Relay(redis_url)
    await relay.open()
    try:
        yield relay
    finally:
        await relay.close()


async def test_writes_made_while_redis_was_away_are_in_the_feeds_when_it_is_back(
    events: Events, start_timeline: TimelineStarter, redis_url: str
) -> None:
    async with (
        relay_to(redis_url) as relay,
        start_timeline(redis_url=f"redis://127.0.0.1:{relay.port}/0") as api,
    ):
        await events.register("ann", "x")
        await events.follow("x", "ann")
        await events.publish("p1", "ann", when=10)
        await api.wait_for_home("x", ["p1"])  # the feed is built and in Redis

        await relay.close()
        await events.publish("p2", "ann", when=11)  # MongoDB has it; Redis does not
        assert await api.home_ids("x") == ["p2", "p1"]
        assert (await api.http.get("/readyz")).json()["degraded"] == ["redis"]

        await relay.open()

        async def back() -> bool:
            return "degraded" not in (await api.http.get("/readyz")).json()

        await wait_until(back)
        assert await api.home_ids("x") == ["p2", "p1"]
        await events.publish("p3", "ann", when=12)
        assert await api.home_ids("x") == ["p3", "p2", "p1"]
