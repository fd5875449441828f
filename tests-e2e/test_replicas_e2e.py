"""In containers (E2E_DOCKER=1): two of every service and two gateways behind HAProxy.

The stack of docker-compose.replicas.yml, as `make up REPLICAS=2` runs it: HAProxy spreads the
requests over both gateways; every consumed queue has a consumer in each replica (competing
consumers); a co-authored post reaches each follower's home once; a notification stream open
on one gateway gets what was caused through the other; a per-account limit counts the
requests of both gateways together; four minutes of the soak's social mix survive a replica
and a gateway killed, the broker stopped, MongoDB and Redis restarted and a replica cut off
the network, with its ledger check; and a replica of the timeline and of the notifications
killed mid-burst loses nothing, its peer consuming what it left.
"""

import json
from collections.abc import AsyncIterator, Iterator
from itertools import pairwise

import httpx
import pytest
from burst import burst_with_failure
from collaboration import accept_invitation, create_post, home_timeline_becomes
from compose_stack import REPLICAS, ComposeStack, compose_stack, docker, docker_requested
from conftest import E2E_ENVIRONMENT, NewUser, user_factory
from faults import BROKER_STOP, KILL, PARTITION, RESTART_CACHE, RESTART_DB, ContainerFaults
from live_stream import notification_stream
from soak import SOAK_ENVIRONMENT, SoakConfig, report, soak_through
from stack import BACKEND_PORT_OFFSETS

from shared.testing import wait_until

# Searches a user may make at once; the allowance refills one a minute, so not in this test.
SEARCH_BURST = 6
REPLICATED_ENVIRONMENT = {
    **E2E_ENVIRONMENT,
    # The soak's: no client limits, tokens for the whole run, cheap hashes, long homes.
    **SOAK_ENVIRONMENT,
    # Twelve accounts: the two everyone follows are celebrities, merged in at read time.
    "CELEBRITY_FOLLOWER_THRESHOLD": "6",
    "SEARCH_RATE_LIMIT_BURST": str(SEARCH_BURST),
    "SEARCH_RATE_LIMIT_PER_MINUTE": "1",
    # Twelve backend replicas share one database (the stand-in, offline: one process): the
    # suite's sub-second sweeps, which no test here waits for, would keep it busy, and sign-ins
    # (not what is tested here) would wait on it and on the hashes past the gateway's timeout.
    "OUTBOX_SWEEP_SECONDS": "2",
    "DELETED_USERS_POLL_SECONDS": "2",
    "EXPIRY_SWEEP_SECONDS": "30",
    "MEDIA_SWEEP_SECONDS": "60",
    "PASSWORD_HASH_TIME_COST": "1",
}
GATEWAY_HEADER = "X-CoPost-Gateway"
KILLED = ("timeline", "notifications")


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    if not docker_requested():
        pytest.skip("runs the replicated stack in containers: E2E_DOCKER=1 (make test-containers)")
    work_dir = tmp_path_factory.mktemp("compose-replicas")
    with compose_stack(work_dir, REPLICATED_ENVIRONMENT, replicated=True) as running:
        yield running


@pytest.fixture
async def user(replicated: ComposeStack) -> AsyncIterator[NewUser]:
    """Registers accounts through HAProxy."""
    async with user_factory(replicated.gateway_url) as register:
        yield register


def gateway_urls(stack: ComposeStack) -> list[str]:
    return [stack.published_url(container) for container in stack.container_ids("gateway")]


def consumers_by_queue(stack: ComposeStack) -> dict[str, int]:
    listed = stack.exec(
        "rabbitmq", "rabbitmqctl", "list_queues", "name", "consumers", "--formatter", "json"
    )
    return {queue["name"]: int(queue["consumers"]) for queue in json.loads(listed)}


def consumed(queue: str) -> bool:
    """A queue the services consume (`<service>`, `<service>.retried.<n>`), not one that only
    waits (`.retry.<n>`) or parks (`.dead-letter`)."""
    return "." not in queue or ".retried." in queue


async def test_haproxy_spreads_requests_over_both_gateways(
    replicated: ComposeStack, user: NewUser
) -> None:
    ada = await user("ada")
    assert len(replicated.container_ids("gateway")) == REPLICAS

    served_by = []
    for _ in range(4 * REPLICAS):
        response = await ada.client.get("/v1/me")
        assert response.status_code == 200, response.text
        served_by.append(response.headers[GATEWAY_HEADER])

    assert len(set(served_by)) == REPLICAS, served_by
    # Round robin: no gateway answers twice in a row while both are up.
    assert all(a != b for a, b in pairwise(served_by)), served_by


async def test_every_consumed_queue_has_a_consumer_in_each_replica(
    replicated: ComposeStack,
) -> None:
    for service in BACKEND_PORT_OFFSETS:
        assert len(replicated.container_ids(service)) == REPLICAS, service

    def all_consumed_twice() -> dict[str, int] | None:
        queues = {q: n for q, n in consumers_by_queue(replicated).items() if consumed(q)}
        return queues if queues and min(queues.values()) >= REPLICAS else None

    try:
        queues = await wait_until(all_consumed_twice, timeout=60, interval=0.5)
    except AssertionError:
        raise AssertionError(f"consumers by queue: {consumers_by_queue(replicated)}") from None
    # Every backend: the users service too, since it takes the federation service's facts.
    assert {queue.partition(".")[0] for queue in queues} == set(BACKEND_PORT_OFFSETS)


async def test_a_coauthored_post_reaches_each_followers_home_once(user: NewUser) -> None:
    ada, bob = await user("ada"), await user("bob", collab_policy="everyone")
    readers = {name: await user(name) for name in ("of_ada", "of_bob", "of_both")}
    follows = {"of_ada": [ada], "of_bob": [bob], "of_both": [ada, bob]}
    for name, followees in follows.items():
        for followee in followees:
            response = await readers[name].client.put(f"/v1/users/{followee.handle}/follow")
            assert response.status_code == 204, response.text

    post = await create_post(ada, "Ada and Bob, on every replica", [bob])
    await accept_invitation(bob, post["id"])

    for reader in readers.values():
        await home_timeline_becomes(reader, [post["id"]])


async def test_a_stream_on_one_gateway_gets_what_is_caused_through_the_other(
    replicated: ComposeStack, user: NewUser
) -> None:
    listening_at, caused_at = gateway_urls(replicated)
    bob = await user("bob")
    fans = [await user(f"fan{i}") for i in range(2 * REPLICAS)]

    async with notification_stream(listening_at, bob.token) as stream:
        async with httpx.AsyncClient(base_url=caused_at, timeout=15.0) as other_gateway:
            for fan in fans:
                response = await other_gateway.put(
                    f"/v1/users/{bob.handle}/follow",
                    headers={"Authorization": f"Bearer {fan.token}"},
                )
                assert response.status_code == 204, response.text
        # Several follows, so both notifications replicas store some of them.
        received = [await stream.next_notification(within=30) for _ in fans]

    assert sorted(e.data["actor"]["handle"] for e in received) == sorted(f.handle for f in fans)
    assert {e.data["type"] for e in received} == {"follower.new"}


async def test_a_per_account_limit_counts_the_requests_of_both_gateways(
    replicated: ComposeStack, user: NewUser
) -> None:
    ada = await user("ada")
    urls = gateway_urls(replicated)
    statuses: dict[str, list[int]] = {url: [] for url in urls}
    headers = {"Authorization": f"Bearer {ada.token}"}
    async with httpx.AsyncClient(timeout=15.0, headers=headers) as client:
        for attempt in range(2 * SEARCH_BURST):
            url = urls[attempt % len(urls)]  # alternately, one gateway then the other
            response = await client.get(f"{url}/v1/users", params={"q": "ada"})
            statuses[url].append(response.status_code)

    answered = [status for url in urls for status in statuses[url]]
    assert answered.count(200) == SEARCH_BURST, statuses
    assert answered.count(429) == SEARCH_BURST, statuses
    # Each gateway refused some: neither kept an allowance of its own.
    assert all(429 in statuses[url] for url in urls), statuses


# Three and a half minutes of the social mix, a fault every 30 s, each of the six once: a
# consumer's replica and a gateway killed (then started), the broker stopped for 15 s, MongoDB
# and Redis restarted, a consumer's replica cut off the network for 15 s. Two arrivals a
# second: twelve replicas and the one database (offline: the stand-in, one Python process)
# share this 2-core machine.
SOAK_SCHEDULE = (
    f"{KILL}:consumer",
    f"{PARTITION}:consumer",
    f"{KILL}:gateway",
    RESTART_CACHE,
    RESTART_DB,
    BROKER_STOP,
)
SOAK = SoakConfig(
    duration=210.0, rate=2.0, users=12, fault_interval=30.0, schedule=SOAK_SCHEDULE,
    settle_seconds=240.0, stack="docker",
)  # fmt: skip
# The bounds on errors (5xx or no answer), in the share of the requests sent:
# - Outside the faults (and soak.FAULT_MARGIN_SECONDS after each): a stray, at most 1 %.
# - During a replica's or a gateway's kill or partition, its peer serves; what fails is what
#   was on the connections to the lost replica at that moment (in flight, or kept alive in
#   a gateway's pool and used before the loss was seen): a few requests.
# - During the broker's stop nothing synchronous needs it (the outboxes hold the events).
# - MongoDB has one node here: while it restarts (about 10 s) the requests that read or write
#   it fail once the driver's 5 s server selection gives up, about half the mix for 10 s of
#   the 240 s, 2 %; Redis is a cache the services work without.
# Overall, over the whole soak, at most 5 % of the requests.
ERROR_RATE_OUTSIDE_FAULTS = 0.01
ERROR_RATE_OVERALL = 0.05
UNAVAILABLE = {0, 502, 503, 504}


async def test_a_soak_with_container_faults_loses_and_doubles_nothing(
    replicated: ComposeStack,
) -> None:
    faults = ContainerFaults(replicated.compose.project_name)

    result = await soak_through(replicated.gateway_url, faults, faults.queues, SOAK)

    details = report(result)
    assert result.passed, details
    # The schedule repeats while the load lasts: every kind in it came, in its order.
    kinds = [s.partition(":")[0] for s in SOAK_SCHEDULE]
    assert len(result.faults) >= len(kinds), details
    assert [f.kind for f in result.faults] == [
        kinds[i % len(kinds)] for i in range(len(result.faults))
    ], details
    assert all(f.recovered is not None for f in result.faults), details
    assert result.error_rate_outside() <= ERROR_RATE_OUTSIDE_FAULTS, details
    assert result.error_rate() <= ERROR_RATE_OVERALL, details
    assert {s.status for s in result.samples if s.outcome == "error"} <= UNAVAILABLE, details
    assert not [s for s in result.samples if s.outcome == "refused"], details


async def test_a_killed_replica_loses_nothing_its_peer_consumes(
    replicated: ComposeStack, user: NewUser
) -> None:
    """Last in this module: the killed replicas stay down until the stack is removed."""
    victims = {service: replicated.container_ids(service)[0] for service in KILLED}
    for container in victims.values():
        # Not restarted: whatever the burst needs after the kill, the peer must do.
        docker("update", "--restart", "no", container)

    async def kill() -> None:
        for container in victims.values():
            docker("kill", container)

    async def peers_alone_consume() -> None:
        def one_consumer_each() -> bool:
            queues = consumers_by_queue(replicated)
            return all(queues[service] == REPLICAS - 1 for service in KILLED)

        await wait_until(one_consumer_each, timeout=30, interval=0.5)

    acknowledged = await burst_with_failure(user, kill, peers_alone_consume)

    assert acknowledged.post_ids, "no post was acknowledged"
    assert acknowledged.follower_handles, "no follow was acknowledged"
    for container in victims.values():
        assert docker("inspect", "--format", "{{.State.Running}}", container) == "false"
