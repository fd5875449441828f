"""The local stack serves each service's database from an embedded server of its own, so the
database work spreads over the cores; an operator's MONGO_URL, or a store from before, is one
server for all."""

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from stack import BACKEND_PORT_OFFSETS, PORT_SPAN, LocalStack, find_free_base_port, port_is_free

from shared.services import BACKENDS
from shared.testing import process_runs, wait_until

FLOOR_PORT_OFFSET = 8  # the benchmarks' floor app (bench/read_bench.py)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    (tmp_path / "logs").mkdir()
    started = LocalStack(tmp_path, base_port=find_free_base_port(), stop_timeout=15.0)
    yield started
    started.stop()


def _port(url: str) -> int:
    return int(url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def test_each_service_gets_a_database_server_of_its_own_inside_the_stack_span(
    stack: LocalStack,
) -> None:
    ports = {service: _port(url) for service, url in stack.database_urls.items()}

    assert len(set(ports.values())) == len(BACKENDS)
    others = {stack.base_port + offset for offset in BACKEND_PORT_OFFSETS.values()}
    others |= {stack.base_port, stack.base_port + FLOOR_PORT_OFFSET}
    assert not others & set(ports.values())
    assert all(stack.base_port < port < stack.base_port + PORT_SPAN for port in ports.values())
    stack.broker_urls = {"users": "amqp://127.0.0.1/"}
    assert stack.environment("users")["MONGO_URL"] == stack.database_url("users")


def test_an_operators_mongo_url_serves_every_service(tmp_path: Path) -> None:
    url = "mongodb://db.example:27017/?replicaSet=rs0"
    stack = LocalStack(tmp_path, mongo_url=url)

    assert set(stack.database_urls.values()) == {url}
    assert not stack.embedded_mongo


def test_a_store_from_before_is_served_whole_by_one_server(tmp_path: Path) -> None:
    LocalStack(tmp_path).legacy_store.mkdir(parents=True)
    stack = LocalStack(tmp_path)

    assert stack.single_store
    assert len(set(stack.database_urls.values())) == 1


async def test_each_server_keeps_its_own_database_and_none_outlives_a_killed_parent(
    stack: LocalStack,
) -> None:
    stack._start_mongo()
    users: MongoClient[dict[str, Any]]
    with MongoClient(stack.database_url("users")) as users:
        users["copost_users"]["users"].insert_one({"_id": "ada"})
    posts: MongoClient[dict[str, Any]]
    with MongoClient(stack.database_url("posts")) as posts:
        assert "copost_users" not in posts.list_database_names()
    servers = stack.process_pids()
    assert sorted(servers) == sorted(stack.database_process(name) for name in BACKENDS)

    os.kill(stack.processes[0].popen.pid, signal.SIGKILL)

    await wait_until(lambda: not any(process_runs(pid) for pid in servers.values()), timeout=20)
    ports = [stack.database_port(name) for name in BACKENDS]
    await wait_until(lambda: all(port_is_free(port) for port in ports), timeout=5)
