"""In containers (E2E_DOCKER=1): the stack on a three-node RabbitMQ cluster survives losing a node.

Three nodes of the Debian-based RabbitMQ image form one cluster; the services, spread over
the nodes, declare their quorum queues with leaders on different nodes. The node leading the
timeline's queue is stopped in the middle of a burst of posts and follows, then started
again: every acknowledged change reaches every home timeline and notification exactly once.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from burst import burst_with_failure
from compose_stack import ComposeStack, compose_stack, docker_requested
from conftest import E2E_ENVIRONMENT, NewUser, user_factory

from shared.testing import wait_until

NODES = ("rabbitmq", "rabbitmq-2", "rabbitmq-3")
CLUSTER_FILE = Path(__file__).with_name("rabbitmq-cluster.compose.yml")


@pytest.fixture(scope="module")
def cluster_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    if not docker_requested():
        pytest.skip("runs a RabbitMQ cluster in containers: E2E_DOCKER=1 (make test-containers)")
    work_dir = tmp_path_factory.mktemp("compose-cluster")
    with compose_stack(work_dir, E2E_ENVIRONMENT, [CLUSTER_FILE]) as running:
        yield running


def running_nodes(cluster: ComposeStack, ask: str = "rabbitmq") -> set[str]:
    status = json.loads(cluster.exec(ask, "rabbitmqctl", "cluster_status", "--formatter", "json"))
    return {node.split("@")[1] for node in status["running_nodes"]}


def quorum_queue_leaders(cluster: ComposeStack, ask: str = "rabbitmq") -> dict[str, str]:
    """Each quorum queue's name and the host of its leader."""
    listed = cluster.exec(
        ask, "rabbitmqctl", "list_queues", "name", "type", "leader", "--formatter", "json"
    )
    return {
        q["name"]: q["leader"].split("@")[1] for q in json.loads(listed) if q["type"] == "quorum"
    }


async def test_losing_a_node_mid_burst_loses_and_doubles_nothing(
    cluster_stack: ComposeStack,
) -> None:
    assert running_nodes(cluster_stack) == set(NODES)
    leaders = quorum_queue_leaders(cluster_stack)
    assert len(set(leaders.values())) >= 2, f"the quorum queues' leaders are not spread: {leaders}"
    victim = leaders["timeline"]
    survivor = next(node for node in NODES if node != victim)

    async def stop_the_node() -> None:
        cluster_stack.stop(victim)

    async def start_the_node() -> None:
        cluster_stack.start(victim)
        await wait_until(
            lambda: running_nodes(cluster_stack, survivor) == set(NODES), timeout=90, interval=1
        )

    async with user_factory(cluster_stack.gateway_url) as new_user:
        register: NewUser = new_user
        acknowledged = await burst_with_failure(register, stop_the_node, start_the_node)

    assert acknowledged.post_ids, "no post was acknowledged"
    assert acknowledged.follower_handles, "no follow was acknowledged"
    assert quorum_queue_leaders(cluster_stack, survivor).keys() == leaders.keys()
