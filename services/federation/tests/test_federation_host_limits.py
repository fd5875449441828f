"""Limits per remote host, counted across replicas in Redis (the test's own key prefix): the
activities a host sends to the inboxes, and the lookups of its accounts this instance makes."""

from typing import Any

from federation_support import RemotePeer, StartFederation, look_up
from redis.asyncio import Redis

from federation.settings import FederationSettings
from shared.remote_accounts import LOOKUP_PATH
from shared.testing import caller_headers


async def test_the_inbox_limit_of_a_host_holds_across_replicas(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    limit = {"inbox_rate_limit_per_minute": 1, "inbox_rate_limit_burst": 2}
    async with start_federation(**limit) as one, start_federation(**limit) as other:
        first = await one.post_signed("/inbox", peer.follow("alice"), peer)
        second = await other.post_signed("/inbox", peer.follow("bob"), peer)
        third = await one.post_signed("/inbox", peer.follow("alice"), peer)
        settings: FederationSettings = one.app.state.spec.settings

    assert [first.status_code, second.status_code, third.status_code] == [202, 202, 429]
    assert third.headers["content-type"] == "application/problem+json"
    assert int(third.headers["retry-after"]) > 0
    assert await _limit_keys(settings, "remote-host") == [
        f"{settings.redis_key_prefix}federation:limit:remote-host:{peer.host}"
    ]


async def test_lookups_of_one_host_beyond_its_limit_ask_it_nothing_and_say_when_to_retry(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    limit = {"remote_lookup_rate_limit_per_minute": 1, "remote_lookup_rate_limit_burst": 1}
    async with start_federation(**limit) as one, start_federation(**limit) as other:
        assert await look_up(one, peer.handle) is not None
        fetched = peer.actor_fetches
        answer = await other.client.post(
            LOOKUP_PATH, json={"handle": peer.handle}, headers=caller_headers("users", "federation")
        )

    found: dict[str, Any] = answer.json()
    assert answer.status_code == 200
    assert found["account"] is None
    assert found["retry_after_seconds"] > 0
    assert peer.actor_fetches == fetched


async def _limit_keys(settings: FederationSettings, scope: str) -> list[str]:
    redis = Redis.from_url(settings.redis_url.get_secret_value(), decode_responses=True)
    try:
        pattern = f"{settings.redis_key_prefix}federation:limit:{scope}:*"
        return [key async for key in redis.scan_iter(match=pattern)]
    finally:
        await redis.aclose()
