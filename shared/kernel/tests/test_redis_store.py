"""REDIS_URL names one server or, `redis+sentinel://`, the Sentinels that know the primary."""

import pytest
from pydantic import SecretStr
from redis.asyncio.sentinel import SentinelConnectionPool

from shared.redis_store import SentinelAddress, create_redis, parse_sentinel_url
from shared.settings import ServiceSettings


@pytest.mark.parametrize(
    ("url", "address"),
    [
        (
            "redis+sentinel://s1:26379,s2:26380,s3/copost",
            SentinelAddress((("s1", 26379), ("s2", 26380), ("s3", 26379)), "copost"),
        ),
        (
            "redis+sentinel://:p%40ss@sentinel.copost:26379/copost/2",
            SentinelAddress((("sentinel.copost", 26379),), "copost", 2, None, "p@ss"),
        ),
        (
            "redis+sentinel://app:secret@[::1]:26379,10.0.0.7/primary/",
            SentinelAddress((("::1", 26379), ("10.0.0.7", 26379)), "primary", 0, "app", "secret"),
        ),
    ],
)
def test_a_sentinel_url_names_the_sentinels_the_primary_and_its_login(
    url: str, address: SentinelAddress
) -> None:
    assert parse_sentinel_url(url) == address


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "redis+sentinel://s1:26379/",
        "redis+sentinel:///copost",
        "redis+sentinel://s1:port/copost",
        "redis+sentinel://s1/copost/first",
    ],
)
def test_a_sentinel_url_without_sentinels_primary_or_numbers_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="invalid Sentinel URL"):
        parse_sentinel_url(url)


async def test_a_sentinel_url_makes_a_client_of_the_primary_it_names() -> None:
    settings = ServiceSettings(
        redis_url=SecretStr("redis+sentinel://:pw@s1:26379,s2:26379/copost/3"),
        redis_timeout_seconds=0.25,
    )

    client = create_redis(settings)

    assert client is not None
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool)
    assert (pool.service_name, pool.is_master) == ("copost", True)
    kwargs = pool.connection_kwargs
    assert (kwargs["db"], kwargs["password"], kwargs["socket_timeout"]) == (3, "pw", 0.25)
    sentinels = pool.sentinel_manager.sentinels
    assert [s.connection_pool.connection_kwargs["host"] for s in sentinels] == ["s1", "s2"]
    # A sentinel that does not answer is given up on as soon as the primary would be.
    assert {s.connection_pool.connection_kwargs["socket_timeout"] for s in sentinels} == {0.25}
    await client.aclose()


async def test_a_redis_url_makes_a_client_of_that_server_and_an_empty_one_none() -> None:
    client = create_redis(ServiceSettings(redis_url=SecretStr("redis://cache:6380/1")))

    assert client is not None
    assert not isinstance(client.connection_pool, SentinelConnectionPool)
    assert client.connection_pool.connection_kwargs["host"] == "cache"
    assert create_redis(ServiceSettings(redis_url=SecretStr(""))) is None
    await client.aclose()
