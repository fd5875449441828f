"""What a service image installs: the service's locked runtime closure, no development tool.

deploy/images/service.Dockerfile installs with `uv sync --locked --no-dev --package SERVICE`:
exactly the packages uv.lock reaches from the service's own dependencies. These tests read
that command and walk the lock the same way, without building an image (the container suite,
tests-e2e/test_service_images_e2e.py, checks the built images themselves).
"""

import shlex
from pathlib import Path

import pytest
from inventory import locked_packages, runtime_closure, service_names

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "deploy" / "images" / "service.Dockerfile"
TESTING_MEMBER = "copost-testing"
SBOM_TOOL_ENVIRONMENT = "UV_PROJECT_ENVIRONMENT=/opt/sbom"


def uv_sync_commands() -> list[list[str]]:
    """Each `uv sync` of the Dockerfile's RUN instructions, as its words."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    runs = [line.removeprefix("RUN ") for line in text.splitlines() if line.startswith("RUN ")]
    commands = [part for run in runs for part in run.split("&&")]
    return [shlex.split(command) for command in commands if "uv sync" in command]


def dependencies_of_the_testing_member() -> set[str]:
    return {dep["name"] for dep in locked_packages()[TESTING_MEMBER]["dependencies"]}


def test_the_images_install_one_service_without_the_development_group() -> None:
    installs = [
        words
        for words in uv_sync_commands()
        if "--no-install-workspace" not in words and SBOM_TOOL_ENVIRONMENT not in words
    ]

    assert len(installs) == 1, installs
    [install] = installs
    assert "--no-dev" in install
    assert install[install.index("--package") + 1] == "$SERVICE"
    for wider in ("--all-packages", "--group", "--all-groups", "--dev", "--only-dev"):
        assert wider not in install


def test_the_cache_layer_fetches_the_services_alone() -> None:
    [warm_cache] = [words for words in uv_sync_commands() if "--no-install-workspace" in words]

    assert "--no-dev" in warm_cache
    assert "--all-packages" not in warm_cache
    assert "--package" in warm_cache


def test_the_sbom_tool_gets_its_locked_group_alone_in_a_venv_of_its_own() -> None:
    [sbom_tool] = [words for words in uv_sync_commands() if SBOM_TOOL_ENVIRONMENT in words]

    assert sbom_tool[sbom_tool.index("--only-group") + 1] == "sbom"
    assert "--locked" in sbom_tool
    # Only the build stage has it: the image takes the service's venv and the SBOM file.
    stages = DOCKERFILE.read_text().split("\nFROM ")[1:]
    holding_the_tool = [stage.partition("\n")[0] for stage in stages if "/opt/sbom" in stage]
    assert holding_the_tool == ["${BASE_IMAGE} AS build"]


@pytest.mark.parametrize("service", service_names())
def test_a_service_needs_no_development_tool_at_run_time(service: str) -> None:
    installed = runtime_closure(service).keys()
    development_only = (
        dependencies_of_the_testing_member() - runtime_closure("copost-kernel").keys()
    )

    assert {"copost-kernel", "copost-contracts"} <= installed
    assert TESTING_MEMBER not in installed
    assert {"secantusdb", "mongoeco", "pytest"} <= development_only
    assert installed & development_only == set()
