"""Redis, as every service that uses it connects to it: one client per process, short timeouts,
and one tuple of the errors that mean "Redis is down" (callers fall back, never fail on them).
"""

import logging

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

# What a Redis that is down, restarting or unreachable raises.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

type RedisClient = Redis


def create_redis(settings: ServiceSettings) -> RedisClient | None:
    """The process's client, or None when no Redis is configured (`REDIS_URL` empty).

    Connecting is lazy: a Redis that is down at start-up is a degraded service, not a failed one.
    """
    url = settings.redis_url.get_secret_value()
    if not url:
        return None
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
    )


async def redis_answers(client: RedisClient | None) -> bool:
    if client is None:
        return False
    try:
        return bool(await client.ping())
    except REDIS_DOWN as exc:
        log.warning("Redis does not answer", extra={"error": repr(exc)})
        return False


async def delete_keys(client: RedisClient, pattern: str, batch: int = 500) -> int:
    """Delete every key matching `pattern` (SCAN, then UNLINK in batches); returns how many."""
    deleted, keys = 0, []
    async for key in client.scan_iter(match=pattern, count=batch):
        keys.append(key)
        if len(keys) == batch:
            deleted += await client.unlink(*keys)
            keys = []
    if keys:
        deleted += await client.unlink(*keys)
    return deleted
