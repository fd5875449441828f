"""Shared rate limits counted in Redis: several limits counted together, in one round trip,
as counting each in turn would."""

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from shared.problems import TooManyRequests
from shared.rate_limits import BucketPolicy, SharedRateLimiter, check_in_order
from shared.testing import redis_key_prefix


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


def limiter(redis: Redis | None, namespace: str, scope_name: str, burst: int) -> SharedRateLimiter:
    return SharedRateLimiter(
        BucketPolicy(per_minute=1, burst=burst),
        scope_name=scope_name,
        redis=redis,
        key_prefix=redis_key_prefix(namespace),
    )


@pytest.mark.parametrize("in_redis", [True, False], ids=["in Redis", "Redis down"])
async def test_the_first_limit_refused_stops_the_count_and_names_itself(
    redis: Redis, namespace: str, in_redis: bool
) -> None:
    client = redis if in_redis else Redis.from_url("redis://127.0.0.1:1/0")
    address = limiter(client, namespace, "client address", burst=1)
    user = limiter(client, namespace, "user", burst=2)

    await check_in_order([(address, "192.0.2.1"), (user, "u1")])
    with pytest.raises(TooManyRequests) as refused:
        await check_in_order([(address, "192.0.2.1"), (user, "u1")])
    await user.check("u1")  # the refused count spent nothing of the user's allowance
    with pytest.raises(TooManyRequests) as spent:
        await check_in_order([(address, "192.0.2.2"), (user, "u1")])

    assert "client address" in refused.value.detail
    assert "user" in spent.value.detail
    assert refused.value.headers == spent.value.headers == {"Retry-After": "60"}
    if not in_redis:
        await client.aclose()
