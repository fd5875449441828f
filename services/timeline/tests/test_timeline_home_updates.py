"""Home updates on the real Redis: once the fan-out has written a reader's home entries, the
post's id is published on the reader's channel (a read that follows finds it), to the readers
whose home shows the post only. Without Redis the fan-out goes on unannounced
(test_timeline_feed_cache.py's test without Redis)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from timeline_support import Events, TimelineApi, at

from shared.events.users import UserBlocked, UserMuted
from shared.home_updates import home_channel
from shared.testing import redis_key_prefix

READERS = ["f1", "f2", "f3"]
MESSAGE_SECONDS = 5.0


class Channels:
    """Every message on the readers' channels, in the order Redis delivers them."""

    def __init__(self, pubsub: PubSub, prefix: str) -> None:
        self._pubsub = pubsub
        self._prefix = prefix
        self.heard: list[tuple[str, str]] = []

    async def until(self, reader: str, post_id: str) -> None:
        """Until `reader`'s channel has carried `post_id` (with what came before it)."""
        async with asyncio.timeout(MESSAGE_SECONDS):
            while (reader, post_id) not in self.heard:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=0.5
                )
                if message is not None:
                    reader_id = message["channel"].removeprefix(home_channel(self._prefix, ""))
                    self.heard.append((reader_id, message["data"]))

    def posts_for(self, reader: str) -> list[str]:
        return [post_id for reader_id, post_id in self.heard if reader_id == reader]


@asynccontextmanager
async def listening(redis_url: str, namespace: str) -> AsyncIterator[Channels]:
    prefix = redis_key_prefix(namespace)
    redis = Redis.from_url(redis_url, decode_responses=True)
    pubsub = redis.pubsub()
    try:
        await pubsub.subscribe(*(home_channel(prefix, reader) for reader in READERS))
        yield Channels(pubsub, prefix)
    finally:
        await pubsub.aclose()
        await redis.aclose()


async def test_each_follower_hears_of_a_post_once_it_is_in_their_home(
    events: Events, api: TimelineApi, redis_url: str, namespace: str
) -> None:
    await events.register("ann", "bob", *READERS)
    await events.follow("f1", "ann")
    await events.follow("f2", "ann")
    async with listening(redis_url, namespace) as channels:
        await events.publish("a1", "ann", when=10)
        await channels.until("f1", "a1")
        assert "a1" in await api.home_ids("f1")  # written before it was announced
        await channels.until("f2", "a1")
        assert "a1" in await api.home_ids("f2")

        await events.publish("b1", "bob", when=11)  # nobody here follows bob
        await events.publish("a2", "ann", when=12)
        await channels.until("f1", "a2")
        await channels.until("f2", "a2")
    assert channels.posts_for("f1") == ["a1", "a2"]
    assert channels.posts_for("f2") == ["a1", "a2"]
    assert channels.posts_for("f3") == []  # follows no one


async def test_muters_and_blockers_hear_nothing_their_home_leaves_out(
    events: Events, api: TimelineApi, redis_url: str, namespace: str
) -> None:
    await events.register("ann", "bob", *READERS)
    for reader in READERS:
        await events.follow(reader, "ann")
    await events.send(UserMuted(muter_id="f2", muted_id="bob", muted_at=at(5)))
    await events.send(UserBlocked(blocker_id="f3", blocked_id="ann", blocked_at=at(6)))
    async with listening(redis_url, namespace) as channels:
        await events.publish("shared", "ann", when=10, coauthors=("bob",))
        await events.publish("solo", "ann", when=11)
        # Each channel carries its messages in order: once f2 heard of "solo", it would
        # have heard of "shared" before.
        await channels.until("f1", "solo")
        await channels.until("f2", "solo")
    assert channels.posts_for("f1") == ["shared", "solo"]
    assert channels.posts_for("f2") == ["solo"]
    assert channels.posts_for("f3") == []
    assert await api.home_ids("f2") == ["solo"]  # the home leaves "shared" out too
    assert await api.home_ids("f3") == []
