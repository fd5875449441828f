"""The pytest plugin behind every CoPost test suite (`-p shared.testing.plugin`).

Integration tests need a real RabbitMQ (AMQP_URL, default the local broker) and a MongoDB
wire-protocol server: MONGO_URL when set, else one embedded server per test session
(EMBEDDED_MONGO picks which, see shared.embedded_mongo).
Each test gets its own AMQP namespace and database names; the session deletes the queues and
exchanges of its namespaces at its end. It creates one broker user per service (rabbitmqctl, as
root) and deletes them after.
"""

import os
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import pytest

from shared.broker_users import SERVICES, create_users, delete_namespace, delete_users
from shared.embedded_mongo import embedded_mongo
from shared.testing import (
    DEFAULT_REDIS_URL,
    SESSION_NAMESPACE_PREFIX,
    EventRecorder,
    TestBrokerUsers,
    delete_redis_keys,
    unique_namespace,
    use_broker_users,
)

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
# AMQP 0-9-1's protocol header; a broker answers it with a method frame (type 1).
AMQP_PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
BROKER_ANSWER_SECONDS = 15


def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """A service's test helpers live beside its tests (`services/<name>/tests/<name>_support.py`,
    never in the production package): its tests and conftest import them by name."""
    for tests in sorted(Path(early_config.rootpath, "services").glob("*/tests")):
        sys.path.append(str(tests))


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    if url := os.environ.get("MONGO_URL"):
        yield url
        return
    server = embedded_mongo()
    yield server.start()
    server.stop()


def broker_answers(url: str, timeout: float = BROKER_ANSWER_SECONDS) -> bool:
    """Whether the broker at `url` starts an AMQP handshake within `timeout` seconds."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 5672), timeout=timeout
        ) as connection:
            connection.sendall(AMQP_PROTOCOL_HEADER)
            return connection.recv(1) == b"\x01"
    except OSError:
        return False


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """The broker's URL, once it has shown it speaks: a broker that accepts connections and
    never answers (out of sockets, say) would otherwise hang every test until CI gives up."""
    url = os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)
    if not broker_answers(url):
        pytest.exit(
            f"RabbitMQ at {urlsplit(url).hostname}:{urlsplit(url).port or 5672} does not answer"
            " an AMQP handshake; `deploy/local/rabbitmq.sh` starts or restarts a local one",
            returncode=3,
        )
    return url


@pytest.fixture(scope="session", autouse=True)
def session_broker_users(amqp_url: str) -> Iterator[TestBrokerUsers]:
    """One broker user per service for this session, with open permissions on the vhost
    (tests isolate by namespace); the services publish and check publishers as in production."""
    prefix = f"copost-test-{uuid4().hex[:8]}-"
    services = [*SERVICES, "gateway"]
    urls = create_users(amqp_url, services, prefix=prefix, namespace=None)
    users = TestBrokerUsers(prefix, urls)
    use_broker_users(users)
    yield users
    use_broker_users(None)
    delete_users(services, prefix=prefix)


@pytest.fixture(scope="session", autouse=True)
async def session_namespaces_deleted(amqp_url: str) -> AsyncIterator[None]:
    """What this session's tests declared on the shared broker goes when the session ends, so
    that runs do not pile up queues on it (each quorum queue costs the broker for ever)."""
    yield
    await delete_namespace(amqp_url, SESSION_NAMESPACE_PREFIX)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    """The test's namespace; its Redis keys (prefixed with it, see `test_settings`) are deleted
    afterwards, never anything else on the shared server."""
    name = unique_namespace()
    yield name
    delete_redis_keys(redis_url, name)


@pytest.fixture
async def event_recorder(amqp_url: str, namespace: str) -> AsyncIterator[EventRecorder]:
    """Declare the namespace's exchange first, so the recorder can bind before services start."""
    import aio_pika

    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel()
    await channel.declare_exchange(
        f"{namespace}copost.unrouted", aio_pika.ExchangeType.FANOUT, durable=True
    )
    await channel.declare_exchange(
        f"{namespace}copost.events",
        aio_pika.ExchangeType.TOPIC,
        durable=True,
        arguments={"alternate-exchange": f"{namespace}copost.unrouted"},
    )
    recorder = EventRecorder(amqp_url, namespace)
    await recorder.start()
    yield recorder
    await recorder.stop()
    await connection.close()
