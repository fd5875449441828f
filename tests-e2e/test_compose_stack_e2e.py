"""In containers (E2E_DOCKER=1): how the suite's stacks are run and removed."""

import json
from pathlib import Path
from uuid import uuid4

import pytest
from compose_stack import SERVICES, ComposeStack, compose_stack, docker, docker_requested
from conftest import E2E_ENVIRONMENT

# MongoDB reports itself unhealthy at once, so `up --wait` fails with volumes already made.
UNHEALTHY_MONGO = """
services:
  mongo:
    healthcheck: {test: [CMD, "false"], interval: 1s, retries: 1, start_period: 0s}
"""


def project_leftovers(project: str) -> dict[str, str]:
    label = f"label=com.docker.compose.project={project}"
    return {
        "containers": docker("ps", "-aq", "--filter", label),
        "volumes": docker("volume", "ls", "-q", "--filter", label),
        "networks": docker("network", "ls", "-q", "--filter", label),
    }


def test_a_stack_whose_start_fails_is_removed_with_its_volumes(tmp_path: Path) -> None:
    if not docker_requested():
        pytest.skip("runs docker compose: E2E_DOCKER=1 (make test-containers)")
    broken = tmp_path / "unhealthy-mongo.compose.yml"
    broken.write_text(UNHEALTHY_MONGO)
    project = f"copost-e2e-{uuid4().hex[:10]}"

    with (
        pytest.raises(RuntimeError, match="up --wait failed"),
        compose_stack(tmp_path, E2E_ENVIRONMENT, [broken], project_name=project),
    ):
        pytest.fail("the stack started although MongoDB is unhealthy")

    assert project_leftovers(project) == {"containers": "", "volumes": "", "networks": ""}


def test_the_suites_settings_reach_every_service_container(containers: ComposeStack) -> None:
    for service in SERVICES:
        listed = docker(
            "inspect", "--format", "{{json .Config.Env}}", containers.container_id(service)
        )
        environment = dict(item.split("=", 1) for item in json.loads(listed))
        assert {name: environment.get(name) for name in E2E_ENVIRONMENT} == E2E_ENVIRONMENT


def test_the_stack_is_a_project_of_its_own_published_on_loopback_only(
    containers: ComposeStack,
) -> None:
    project = containers.compose.project_name
    assert project.startswith("copost-e2e-")
    published = docker("port", containers.container_id("gateway"), "8000")
    assert published.startswith("127.0.0.1:"), published
    assert containers.gateway_url.endswith(published.removeprefix("127.0.0.1"))
