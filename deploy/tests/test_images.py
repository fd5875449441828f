"""What a service image installs: the service's locked runtime closure, no development tool.

deploy/images/service.Dockerfile installs with `uv sync --locked --no-dev --package SERVICE`:
exactly the packages uv.lock reaches from the service's own dependencies. These tests read
that command and walk the lock the same way, without building an image (the container suite,
tests-e2e/test_service_images_e2e.py, checks the built images themselves).
"""

import shlex
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "deploy" / "images" / "service.Dockerfile"
TESTING_MEMBER = "copost-testing"


def service_names() -> list[str]:
    return sorted(path.parent.name for path in REPO_ROOT.glob("services/*/pyproject.toml"))


def uv_sync_commands() -> list[list[str]]:
    """Each `uv sync` of the Dockerfile's RUN instructions, as its words."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    runs = [line.removeprefix("RUN ") for line in text.splitlines() if line.startswith("RUN ")]
    commands = [part for run in runs for part in run.split("&&")]
    return [shlex.split(command) for command in commands if "uv sync" in command]


def locked_packages() -> dict[str, list[dict[str, Any]]]:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    packages: dict[str, list[dict[str, Any]]] = {}
    for package in lock["package"]:
        packages.setdefault(package["name"], []).append(package)
    return packages


def runtime_closure(roots: Iterable[str]) -> set[str]:
    """The packages `uv sync --no-dev --package ROOT` installs for these roots (every platform)."""
    packages = locked_packages()
    seen: set[str] = set()
    pending = [(root, ()) for root in roots]
    while pending:
        name, extras = pending.pop()
        if name in seen and not extras:
            continue
        seen.add(name)
        for package in packages[name]:
            wanted = list(package.get("dependencies", []))
            for extra in extras:
                wanted += package.get("optional-dependencies", {}).get(extra, [])
            pending += [(dep["name"], tuple(dep.get("extra", ()))) for dep in wanted]
    return seen


def dependencies_of_the_testing_member() -> set[str]:
    [member] = locked_packages()[TESTING_MEMBER]
    return {dep["name"] for dep in member["dependencies"]}


def test_the_images_install_one_service_without_the_development_group() -> None:
    installs = [words for words in uv_sync_commands() if "--no-install-workspace" not in words]

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


@pytest.mark.parametrize("service", service_names())
def test_a_service_needs_no_development_tool_at_run_time(service: str) -> None:
    installed = runtime_closure([service])
    development_only = dependencies_of_the_testing_member() - runtime_closure(["copost-kernel"])

    assert {"copost-kernel", "copost-contracts"} <= installed
    assert TESTING_MEMBER not in installed
    assert {"secantusdb", "mongoeco", "pytest"} <= development_only
    assert installed & development_only == set()
