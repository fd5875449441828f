"""Fixtures of the end-to-end suite: the whole stack on free ports, reached through the gateway.

By default the stack is the local one (deploy/local/stack.py): the embedded MongoDB, every
installed service and the gateway as processes of the workspace venv, on a fresh data dir
and a unique AMQP namespace, beside any stack a developer already runs. With E2E_DOCKER=1,
the session's stack runs in containers instead (deploy/local/compose_stack.py: docker compose
via testcontainers, the same settings), the tests that need containers (crashes, a RabbitMQ
cluster, replicas and their soak) run too, and those that need local processes or a local
stack of their own skip: `make test` ran them on the same commit.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from compose_stack import ComposeStack, compose_stack, docker_requested
from contract import ApiContract
from stack import GatewayTls, LocalStack, find_free_base_port

from shared.testing import DEFAULT_REDIS_URL, delete_redis_keys, unique_namespace

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
E2E_PASSWORD = "correct horse battery staple"
RETRY_DELAYS_SECONDS = (0.2, 0.5)
CELEBRITY_FOLLOWER_THRESHOLD = 4
# Open notification streams one account may hold (per notifications replica; one here).
STREAMS_PER_ACCOUNT = 10
# Long beside a flood of sign-ins on a loaded 2-core machine (seconds there), so what a test
# reads right after a flood is the bucket the flood filled, not one already leaking.
LOGIN_FAILURE_DECAY_SECONDS = 20.0
# Fast background loops so eventual consistency settles within a test's patience.
E2E_ENVIRONMENT = {
    "EVENT_RETRY_DELAYS_SECONDS": str(list(RETRY_DELAYS_SECONDS)),
    "OUTBOX_SWEEP_SECONDS": "0.5",
    "DELETED_USERS_POLL_SECONDS": "0.5",
    "EXPIRY_SWEEP_SECONDS": "1",
    # Authors with more than this many followers are merged in at read time (hybrid fan-out).
    "CELEBRITY_FOLLOWER_THRESHOLD": str(CELEBRITY_FOLLOWER_THRESHOLD),
    # Demoted as soon as below it (the demotion test); the margin is the timeline tests' own.
    "CELEBRITY_DEMOTION_MARGIN": "0",
    "MAX_STREAMS_PER_ACCOUNT": str(STREAMS_PER_ACCOUNT),
    "STREAM_MAX_PER_ACCOUNT": str(STREAMS_PER_ACCOUNT),
    "LOG_LEVEL": "INFO",
    # Every test client signs up and in from 127.0.0.1: the per-address allowance of real
    # clients would throttle the suite (its own tests use a stack of their own).
    "LOGIN_RATE_LIMIT_PER_MINUTE": "100000",
    "LOGIN_RATE_LIMIT_BURST": "10000",
    # A counted wrong password decays in 5 s, so the sign-in tests see an owner's short wait.
    "LOGIN_FAILURE_DECAY_SECONDS": str(LOGIN_FAILURE_DECAY_SECONDS),
    "STREAM_MAX_PER_ADDRESS": "10000",
    # Small enough that the oversized-upload test sends little (the default is 100 MiB).
    "MAX_UPLOAD_BYTES": str(3 * 1024 * 1024),
    # Media of deleted posts leave storage within the test's patience.
    "MEDIA_SWEEP_SECONDS": "0.5",
}


# Every answer the suite's clients get is checked against docs/openapi.json.
CONTRACT = ApiContract.committed()
CHECKED_BY_CONTRACT = {"response": [CONTRACT.check]}

# The local stacks running, by gateway URL: for the tests that reach behind the gateway.
RUNNING_STACKS: dict[str, LocalStack] = {}


# The fixtures only a local stack has: a test using one skips in the container stage.
LOCAL_STACK_ONLY = {"local_processes", "expiring_stack"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this directory is an end-to-end test (`make unit` leaves them out). One
    on the session's stack that needs nothing only a local stack has runs in the container
    stage too (`container_stage`): .ci/run's first stage leaves it to that stage."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            fixtures = set(getattr(item, "fixturenames", ()))
            if "stack" in fixtures and not fixtures & LOCAL_STACK_ONLY:
                item.add_marker(pytest.mark.container_stage)


@pytest.fixture(autouse=True)
def answers_follow_the_openapi_document() -> Iterator[None]:
    """A test fails if an answer it got departs from the public OpenAPI document."""
    already = len(CONTRACT.broken)
    yield
    departures = CONTRACT.broken[already:]
    assert not departures, "answers the OpenAPI document does not declare:\n" + "\n".join(
        departures
    )


@pytest.fixture(scope="session")
def containers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    """The session's stack in containers (only with E2E_DOCKER=1)."""
    if not docker_requested():
        pytest.skip("runs the stack in containers: E2E_DOCKER=1 (make test-containers)")
    with compose_stack(tmp_path_factory.mktemp("compose"), E2E_ENVIRONMENT) as running:
        yield running


@pytest.fixture(scope="session")
async def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The gateway URL of a whole CoPost stack started for this test session."""
    if docker_requested():
        running: ComposeStack = request.getfixturevalue("containers")
        yield running.gateway_url
        return
    async with local_stack(tmp_path_factory) as gateway_url:
        yield gateway_url


@asynccontextmanager
async def local_stack(
    tmp_path_factory: pytest.TempPathFactory, overrides: Mapping[str, str] | None = None
) -> AsyncIterator[str]:
    """Start the local stack on free ports with E2E settings (plus `overrides`); stop it after."""
    async with running_local_stack(tmp_path_factory, overrides) as started_stack:
        yield started_stack.gateway_url


@asynccontextmanager
async def running_local_stack(
    tmp_path_factory: pytest.TempPathFactory,
    overrides: Mapping[str, str] | None = None,
    *,
    base_port: int | None = None,
    gateway_tls: GatewayTls | None = None,
) -> AsyncIterator[LocalStack]:
    """As local_stack, giving the LocalStack itself (its processes, its supervision).

    The tests that start one to kill, stop or restart its processes have nothing to add in the
    container stage: `make test` ran them on the same commit, and the container stage drives
    containers (test_container_crash_e2e.py, test_replicas_e2e.py).
    """
    if docker_requested():
        pytest.skip("drives local processes; make test runs it (E2E_DOCKER=1 drives containers)")
    amqp_url = os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)
    namespace = unique_namespace()
    started_stack = LocalStack(
        data_dir=tmp_path_factory.mktemp("copost-stack"),
        base_port=base_port or find_free_base_port(),
        amqp_url=amqp_url,
        amqp_namespace=namespace,
        broker_user_prefix=f"copost-{namespace}",
        extra_env={**E2E_ENVIRONMENT, **(overrides or {})},
        ready_timeout=120.0,
        gateway_tls=gateway_tls,
    )
    await asyncio.to_thread(started_stack.start)
    started = started_stack.running_services
    RUNNING_STACKS[started_stack.gateway_url] = started_stack
    try:
        if "gateway" not in started:
            pytest.fail(f"the gateway is not installed in the workspace (started: {started})")
        yield started_stack
    finally:
        RUNNING_STACKS.pop(started_stack.gateway_url, None)
        # The stop removes the stack's queues, exchanges and broker users (its namespace's).
        not_cleaned = await asyncio.to_thread(started_stack.stop)
        assert not not_cleaned, not_cleaned
        redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
        await asyncio.to_thread(delete_redis_keys, redis_url, namespace)


@pytest.fixture
def local_processes(stack: str) -> LocalStack:
    """The local stack behind `stack`, for tests that reach its processes behind the gateway."""
    if stack not in RUNNING_STACKS:
        pytest.skip("the stack is not the local one (E2E_DOCKER=1)")
    return RUNNING_STACKS[stack]


@pytest.fixture
async def gateway(stack: str) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client of the gateway."""
    async with gateway_client(stack) as client:
        yield client


@dataclass(frozen=True)
class E2EUser:
    """A registered account, its access token, and a client that sends the token."""

    id: str
    handle: str
    password: str
    token: str
    client: httpx.AsyncClient


type NewUser = Callable[..., Awaitable[E2EUser]]


@pytest.fixture
async def new_user(stack: str) -> AsyncIterator[NewUser]:
    """Factory: `await new_user("alice", collab_policy="everyone")` registers a fresh account."""
    async with user_factory(stack) as register:
        yield register


def gateway_client(base_url: str, **options: Any) -> httpx.AsyncClient:
    """A client of a gateway whose answers are checked against the OpenAPI document."""
    return httpx.AsyncClient(
        base_url=base_url, timeout=15.0, event_hooks=CHECKED_BY_CONTRACT, **options
    )


@asynccontextmanager
async def user_factory(
    stack: str, connect: Callable[..., httpx.AsyncClient] = gateway_client
) -> AsyncIterator[NewUser]:
    """Registers accounts on the stack at `stack` (through clients `connect(stack, ...)`
    makes); closes their clients afterwards."""
    clients: list[httpx.AsyncClient] = []

    async def register(
        prefix: str = "user", *, display_name: str | None = None, collab_policy: str | None = None
    ) -> E2EUser:
        handle = f"{prefix[:20]}_{uuid4().hex[:8]}".lower()
        async with connect(stack) as anonymous:
            created = await anonymous.post(
                "/v1/users",
                json={
                    "handle": handle,
                    "password": E2E_PASSWORD,
                    "display_name": display_name or prefix.title(),
                },
            )
            assert created.status_code == 201, created.text
            issued = await anonymous.post(
                "/v1/auth/token", json={"handle": handle, "password": E2E_PASSWORD}
            )
            assert issued.status_code == 200, issued.text
        token = issued.json()["access_token"]
        client = connect(stack, headers={"Authorization": f"Bearer {token}"})
        clients.append(client)
        if collab_policy is not None:
            updated = await client.patch("/v1/me", json={"collab_policy": collab_policy})
            assert updated.status_code == 200, updated.text
        return E2EUser(created.json()["id"], handle, E2E_PASSWORD, token, client)

    yield register
    for client in clients:
        await client.aclose()


@pytest.fixture
async def ada(new_user: NewUser) -> E2EUser:
    """An author; her collab policy is the default (following)."""
    return await new_user("ada")


@pytest.fixture
async def bob(new_user: NewUser) -> E2EUser:
    """Open to invitations from anyone."""
    return await new_user("bob", collab_policy="everyone")


@pytest.fixture
async def cat(new_user: NewUser) -> E2EUser:
    """Open to invitations from anyone."""
    return await new_user("cat", collab_policy="everyone")


# Invitations on this second stack expire after a few seconds, for the expiry rules.
SHORT_INVITATION_TTL = {"INVITATION_TTL_SECONDS": "3", "EXPIRY_SWEEP_SECONDS": "0.5"}


@pytest.fixture(scope="session")
async def expiring_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """Local only: expiry is the invitations service's sweep, the same code in a container,
    and test_compose_stack_e2e.py proves the suite's settings reach the containers; a second
    stack of containers for three tests would prove nothing more."""
    if docker_requested():
        pytest.skip("a local stack of its own; make test runs it (E2E_DOCKER=1 runs one stack)")
    async with local_stack(tmp_path_factory, SHORT_INVITATION_TTL) as gateway_url:
        yield gateway_url


@pytest.fixture
async def new_user_on_expiring_stack(expiring_stack: str) -> AsyncIterator[NewUser]:
    async with user_factory(expiring_stack) as register:
        yield register
