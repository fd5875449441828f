"""Redis, as every service that uses it connects to it: one client per process, short timeouts,
and one tuple of the errors that mean "Redis is down" (callers fall back, never fail on them).

`REDIS_URL` names one server, or (`redis+sentinel://`) the Sentinels that know the primary: the
client then asks them where the primary is at each new connection, so after a failover the
first calls fail as "down" (callers fall back) and the next ones reach the new primary.
"""

import logging
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from redis.asyncio import Redis
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

# What a Redis that is down, restarting or unreachable raises.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

type RedisClient = Redis

SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379


@dataclass(frozen=True, slots=True)
class SentinelAddress:
    """Where a `redis+sentinel://` URL says the primary is found, and how to log in to it."""

    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int = 0
    username: str | None = None
    password: str | None = None


def parse_sentinel_url(url: str) -> SentinelAddress:
    """`redis+sentinel://[[user]:password@]host[:port],host[:port],.../master[/db]`."""
    try:
        return _parse_sentinel_url(url)
    except ValueError as exc:
        raise ValueError(f"invalid Sentinel URL in REDIS_URL: {exc}") from None


def _parse_sentinel_url(url: str) -> SentinelAddress:
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        raise ValueError(f"not a {SENTINEL_SCHEME}:// URL")
    credentials, _, hosts = parts.netloc.rpartition("@")
    username, _, password = credentials.partition(":")
    sentinels = tuple(_host_and_port(host) for host in hosts.split(",") if host)
    master, _, db = parts.path.strip("/").partition("/")
    if not sentinels or not master:
        raise ValueError("a Sentinel URL names its sentinels and the primary's name")
    if db and not db.isdigit():
        raise ValueError(f"the database of a Sentinel URL is a number, not {db!r}")
    return SentinelAddress(
        sentinels=sentinels,
        master=unquote(master),
        db=int(db or 0),
        username=unquote(username) or None,
        password=unquote(password) or None,
    )


def _host_and_port(text: str) -> tuple[str, int]:
    """`host`, `host:port` or `[v6]:port`; ValueError for a port that is not one."""
    one = urlsplit(f"//{text}")
    if not one.hostname:
        raise ValueError(f"sentinel {text!r} names no host")
    return one.hostname, one.port or SENTINEL_PORT


def create_redis(settings: ServiceSettings) -> RedisClient | None:
    """The process's client, or None when no Redis is configured (`REDIS_URL` empty).

    Connecting is lazy: a Redis that is down at start-up is a degraded service, not a failed one.
    """
    url = settings.redis_url.get_secret_value()
    if not url:
        return None
    timeout = settings.redis_timeout_seconds
    if urlsplit(url).scheme != SENTINEL_SCHEME:
        return Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout
        )
    address = parse_sentinel_url(url)
    # A Sentinel that does not answer is given up on as soon as a server would be.
    sentinel = Sentinel(
        address.sentinels,
        sentinel_kwargs={"socket_timeout": timeout, "socket_connect_timeout": timeout},
    )
    client: Redis = sentinel.master_for(
        address.master,
        decode_responses=True,
        db=address.db,
        username=address.username,
        password=address.password,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )
    return client


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
