"""Home updates on the live stream, over real HTTP and the real Redis: a post announced for a
reader's home reaches that reader's streams, on whichever replica, as a `home.updated` event
without an `id:` (Last-Event-ID still names the last notification); Redis down, the stream
goes on with its notifications."""

import asyncio
from datetime import UTC, datetime

from notifications_support import ServedHarness
from redis.asyncio import Redis
from test_notifications_stream import DELIVERY_SECONDS, followed, stream_of

from shared.events.users import UserFollowed
from shared.home_updates import announce_home_update, home_channel
from shared.testing import ALICE, BOB, CAROL, redis_key_prefix, wait_until


async def test_a_home_update_reaches_its_readers_streams_only_on_any_replica(
    served_harness: ServedHarness, redis_url: str, namespace: str
) -> None:
    prefix = redis_key_prefix(namespace)
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        async with (
            served_harness() as (one, _),
            served_harness() as (other, _),
            stream_of(one.client, ALICE) as alices,
            stream_of(other.client, BOB) as bobs,
        ):

            async def both_listening() -> bool:
                counts = dict(
                    await redis.pubsub_numsub(
                        home_channel(prefix, ALICE), home_channel(prefix, BOB)
                    )
                )
                return all(count >= 1 for count in counts.values())

            await wait_until(both_listening)
            await announce_home_update(redis, prefix, "post-for-bob", [BOB])
            await announce_home_update(redis, prefix, "post-for-alice", [ALICE])
            await one.events.publish(followed(CAROL))

            first = await asyncio.wait_for(alices.next_event(), DELIVERY_SECONDS)
            second = await asyncio.wait_for(alices.next_event(), DELIVERY_SECONDS)
            bobs_first = await asyncio.wait_for(bobs.next_event(), DELIVERY_SECONDS)
            await other.events.publish(
                UserFollowed(follower_id=CAROL, followee_id=BOB, followed_at=datetime.now(UTC))
            )
            bobs_second = await asyncio.wait_for(bobs.next_event(), DELIVERY_SECONDS)
    finally:
        await redis.aclose()

    assert (first.event, first.data, first.id) == ("home.updated", "post-for-alice", None)
    # Alice heard nothing of Bob's post; her notification still carries its position.
    assert second.event == "notification"
    assert second.json()["type"] == "follower.new"
    assert second.id == "1"
    assert (bobs_first.event, bobs_first.data, bobs_first.id) == (
        "home.updated",
        "post-for-bob",
        None,
    )
    assert (bobs_second.event, bobs_second.id) == ("notification", "1")


async def test_without_redis_the_stream_still_brings_notifications(
    served_harness: ServedHarness,
) -> None:
    async with (
        served_harness(redis_url="redis://127.0.0.1:1/0") as (harness, _),
        stream_of(harness.client, ALICE) as stream,
    ):
        await harness.events.publish(followed(BOB))
        event = await asyncio.wait_for(stream.next_event(), DELIVERY_SECONDS)
    assert event.event == "notification"
    assert event.json()["type"] == "follower.new"
