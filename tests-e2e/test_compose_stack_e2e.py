"""In containers (E2E_DOCKER=1): a test stack that fails to start leaves nothing behind."""

from pathlib import Path
from uuid import uuid4

import pytest
from compose_stack import compose_stack, docker, docker_requested
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
