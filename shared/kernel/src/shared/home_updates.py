"""A reader's home timeline has a new post: the timeline service says so on a Redis channel
per reader, once the fan-out has written the reader's entries (MongoDB, then the Redis feed),
so a read that follows finds the post; the notifications service's live streams, on whichever
replica, pass it on to that reader's open streams as `home.updated` events.

Best effort: a message nobody is subscribed to, or one published while Redis is down, is
lost; clients fall back to reading their home timeline now and then (docs/web-client.md).
The message is the post's id, nothing else.
"""

import logging
from collections.abc import Iterable

from shared.redis_store import REDIS_DOWN, RedisClient

log = logging.getLogger(__name__)

# The SSE event name the streams give these messages.
HOME_UPDATED = "home.updated"


def home_channel(prefix: str, reader_id: str) -> str:
    """The reader's channel; `prefix` is REDIS_KEY_PREFIX, so test runs do not hear each other."""
    return f"{prefix}home:{reader_id}"


def home_channel_prefix(prefix: str) -> str:
    """What every home channel starts with: the rest is the reader's id."""
    return home_channel(prefix, "")


async def announce_home_update(
    redis: RedisClient, prefix: str, post_id: str, reader_ids: Iterable[str]
) -> None:
    """PUBLISH the post's id to each reader's channel, in one round trip; never raises when
    Redis is down (the readers' clients catch up by reading their timeline)."""
    readers = list(reader_ids)
    if not readers:
        return
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for reader_id in readers:
                pipe.publish(home_channel(prefix, reader_id), post_id)
            await pipe.execute()
    except REDIS_DOWN as exc:
        log.warning("home updates not announced: Redis is down", extra={"error": repr(exc)})
