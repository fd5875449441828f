"""The services are declared once (shared.services); every other list of them agrees.

The workspace has one member per declared service, the files deploy/render.py renders from
the list are current, and the compose file, which is written by hand, runs each of them.
(The Kubernetes overlays are checked in test_kubernetes_manifests.py.)
"""

from pathlib import Path

import pytest
import yaml

from shared.services import BACKENDS, GATEWAY, SERVICES
from shared.settings import ServiceSettings
from shared.testing import load_script

REPO_ROOT = Path(__file__).resolve().parents[2]


render = load_script(REPO_ROOT / "deploy" / "render.py")


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


def test_compose_gives_every_service_its_shutdown_time_before_killing_it() -> None:
    """Docker sends SIGKILL after stop_grace_period: a process must have had its whole
    SHUTDOWN_GRACE_SECONDS first, and a margin (as the Kubernetes grace periods do)."""
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    shutdown = ServiceSettings.model_fields["shutdown_grace_seconds"].default

    for name in SERVICES:
        period = compose["services"][name]["stop_grace_period"]
        assert period.endswith("s"), (name, period)
        assert float(period.removesuffix("s")) >= shutdown + 5, (name, period)


class ComposeLoader(yaml.SafeLoader):
    """YAML with compose's merge tags (!reset, !override), read as their plain values."""


def _plain(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


for _tag in ("!reset", "!override"):
    ComposeLoader.add_constructor(_tag, _plain)


def test_the_replicas_overlay_replicates_every_service_behind_haproxy_alone() -> None:
    """A service added to the list must be replicated too; only HAProxy is published."""
    overlay = yaml.load(
        (REPO_ROOT / "docker-compose.replicas.yml").read_text(),
        Loader=ComposeLoader,  # noqa: S506 -- a SafeLoader, with two tags more
    )
    services = overlay["services"]

    replicated = {name for name, spec in services.items() if "replicas" in spec.get("deploy", {})}
    assert replicated == set(SERVICES)
    assert services[GATEWAY]["ports"] == []
    assert [port.rsplit(":", 1)[1] for port in services["haproxy"]["ports"]] == ["8000", "8404"]
    assert services["haproxy"]["depends_on"] == {GATEWAY: {"condition": "service_healthy"}}


def test_a_region_is_rewritten_from_the_list_and_the_rest_is_left_alone() -> None:
    text = (
        "resources:\n"
        "  # -- rendered by deploy/render.py: service-manifests --\n"
        "  - retired.yaml\n"
        "  # -- end of service-manifests --\n"
        "  - ingress.yaml\n"
    )
    regions = {"service-manifests": lambda: [f"- {name}.yaml" for name in SERVICES]}

    lines = render.with_regions(text, regions).splitlines()

    assert lines[2:-2] == [f"  - {name}.yaml" for name in SERVICES]
    assert lines[-1] == "  - ingress.yaml"


def test_a_file_without_its_region_is_an_error() -> None:
    with pytest.raises(ValueError, match="images"):
        render.with_regions("images: []\n", {"images": list})
