"""The services are declared once (shared.services); every other list of them agrees.

The workspace has one member per declared service, the files deploy/render.py renders from
the list are current, and the compose file, which is written by hand, runs each of them.
(The Kubernetes overlays are checked in test_kubernetes_manifests.py.)
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import yaml

from shared.services import BACKENDS, GATEWAY, SERVICES

REPO_ROOT = Path(__file__).resolve().parents[2]


def load_render() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render", REPO_ROOT / "deploy" / "render.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = load_render()


def test_the_workspace_has_one_member_per_declared_service() -> None:
    members = {path.parent.name for path in REPO_ROOT.glob("services/*/pyproject.toml")}

    assert members == set(SERVICES)
    assert GATEWAY not in BACKENDS


def test_every_file_rendered_from_the_list_is_current() -> None:
    for path, text in render.rendered().items():
        assert path.read_text() == text, f"{path.name} is stale: run deploy/render.py"


def test_compose_runs_every_declared_service_from_its_image() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    built = {
        name: spec
        for name, spec in compose["services"].items()
        if spec.get("build", {}).get("dockerfile") == "deploy/images/service.Dockerfile"
    }
    environment = compose["x-service-environment"]

    assert set(built) == set(SERVICES)
    assert all(spec["build"]["args"]["SERVICE"] == name for name, spec in built.items())
    assert {key for key in environment if key.endswith("_URL") and not key.startswith("OTEL")} == {
        f"{name.upper()}_URL" for name in BACKENDS
    }
