"""In containers (E2E_DOCKER=1): each service image is small, runs as non-root, carries no dev tool,
and carries the SBOM of exactly what it holds.

The images are the ones `make images` built (copost/<service>:TAG); the development group of
the workspace (test tools, linters, the embedded MongoDB server) must not be in any of them.
"""

import json
import os
import re
import tomllib
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from compose_stack import SERVICES, docker, docker_requested
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from inventory import (
    debian_packages_named,
    debian_problems,
    image_problems,
    normalized,
    packages_of,
    runtime_closure,
)
from stack import REPO_ROOT

SIZE_LIMIT_BYTES = 200 * 1000 * 1000
# Beyond the limit, only what a service's own work needs. The media service's: Pillow's wheel
# bundles the image codecs it decodes and re-encodes with (pillow.libs, about 15 MB, plus PIL
# itself), and Debian's ffmpeg, which probes and processes videos, with the 204 packages it
# depends on (Mesa with LLVM, about 200 MB of them, through SDL). Measured on the offline
# Debian trixie base: media 753 MB, the others 183 to 197 MB.
SIZE_ALLOWANCE_BYTES = {"media": 575 * 1000 * 1000}
DPKG_FORMAT = "${db:Status-Abbrev}\t${Package}\t${Version}\n"
LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m; print(*{d.metadata['Name'] for d in m.distributions()})"
)
# The kernel and the contracts are there, in the same namespace package; shared.testing is not.
FIND_TESTING_MODULES = (
    "import importlib.util as u, shared.bus; "
    "print(*(u.find_spec(m) is not None for m in ('shared.testing', 'shared.embedded_mongo')))"
)


def development_packages() -> set[str]:
    """The dev group and what its testing member (shared.testing) brings beyond the kernel."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    testing = tomllib.loads((REPO_ROOT / "shared" / "testing" / "pyproject.toml").read_text())
    specs = [*_group(project["dependency-groups"], "dev"), *testing["project"]["dependencies"]]
    names = {normalized(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0]) for spec in specs}
    return names - {"copost-kernel", "copost-contracts"}


def _group(groups: dict[str, list[Any]], name: str) -> Iterator[str]:
    """A dependency group's requirements, its included groups' too."""
    for entry in groups[name]:
        if isinstance(entry, dict):
            yield from _group(groups, entry["include-group"])
        else:
            yield entry


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_image_is_small_non_root_and_free_of_development_packages(
    service: str,
) -> None:
    if not docker_requested():
        pytest.skip("inspects the built images: E2E_DOCKER=1 (make test-containers)")
    image = f"copost/{service}:{os.environ.get('TAG', 'dev')}"

    size = int(docker("image", "inspect", "--format", "{{.Size}}", image))
    user = docker("image", "inspect", "--format", "{{.Config.User}}", image)
    installed = docker("run", "--rm", image, "python3", "-c", LIST_DISTRIBUTIONS).split()
    testing_importable = docker("run", "--rm", image, "python3", "-c", FIND_TESTING_MODULES)

    limit = SIZE_LIMIT_BYTES + SIZE_ALLOWANCE_BYTES.get(service, 0)
    assert size <= limit, f"{image} is {size / 1e6:.0f} MB"
    assert user.split(":")[0] not in ("", "0", "root"), f"{image} runs as {user!r}"
    assert service in installed
    assert development_packages() & {normalized(name) for name in installed} == set()
    assert testing_importable.split() == ["False", "False"]


@cache
def sbom_validator() -> JsonStrictValidator:
    return JsonStrictValidator(SchemaVersion.V1_6)


@cache
def debian_components(service: str) -> dict[str, dict[str, Any]]:
    """Name -> SBOM component of each Debian package of a service's image."""
    image = f"copost/{service}:{os.environ.get('TAG', 'dev')}"
    text = docker("run", "--rm", "--network", "none", image, "cat", "/app/sbom.cdx.json")
    sbom = json.loads(text)
    return {c["name"]: c for c in sbom["components"] if c.get("purl", "").startswith("pkg:deb/")}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_image_adds_to_its_base_only_the_debian_programs_it_names(
    service: str,
) -> None:
    """Every image shares its base's Debian packages; beyond them, a service's image holds only
    what its debian-packages file names (with their dependencies), under the Debian policy of
    deploy/inventory.py: no copyleft but the source packages allowed for that image."""
    if not docker_requested():
        pytest.skip("inspects the built images: E2E_DOCKER=1 (make test-containers)")
    base = set.intersection(*(set(debian_components(other)) for other in SERVICES))
    packages = debian_components(service)
    added = [packages[name] for name in sorted(packages.keys() - base)]
    named = debian_packages_named(service)

    assert {c["name"] for c in added} >= set(named)
    assert bool(added) == bool(named), [c["name"] for c in added]
    assert debian_problems(service, added) == []
    # Their copyright files are in the image: the SBOM test below reads them for each.


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_image_carries_the_sbom_of_what_it_holds(service: str) -> None:
    if not docker_requested():
        pytest.skip("inspects the built images: E2E_DOCKER=1 (make test-containers)")
    image = f"copost/{service}:{os.environ.get('TAG', 'dev')}"
    text = docker("run", "--rm", "--network", "none", image, "cat", "/app/sbom.cdx.json")
    sbom = json.loads(text)
    installed = docker("run", "--rm", image, "python3", "-c", LIST_DISTRIBUTIONS).split()
    listing = docker("run", "--rm", image, "dpkg-query", "--show", "--showformat", DPKG_FORMAT)
    python_packages = packages_of(sbom)
    debian_packages = [c for c in sbom["components"] if c.get("purl", "").startswith("pkg:deb/")]

    assert sbom_validator().validate_str(text) is None
    # `make images` keeps a copy beside the image.
    kept = REPO_ROOT / "deploy" / "images" / "sbom" / f"{service}.cdx.json"
    assert json.loads(kept.read_text()) == sbom
    # Python: exactly what uv.lock says the image holds, and what the image's venv has.
    assert {name: p.version for name, p in python_packages.items()} == runtime_closure(service)
    assert set(python_packages) == {normalized(name) for name in installed}
    assert image_problems(service, python_packages) == []
    # Debian: every installed package, with its source package and where its license is told.
    assert sorted((c["name"], c["version"]) for c in debian_packages) == sorted(
        tuple(line.split("\t")[1:]) for line in listing.splitlines() if line.startswith("ii ")
    )
    for component in debian_packages:
        properties = {p["name"]: p["value"] for p in component["properties"]}
        assert properties["copost:deb:source_package"], component["name"]
        assert "licenses" in component or "copost:deb:copyright_file" in properties, component
    [system] = [c for c in sbom["components"] if c["type"] == "operating-system"]
    assert system["name"] == "debian"


def test_the_load_balancer_image_holds_debians_haproxy_under_the_same_policy() -> None:
    """copost/haproxy (docker-compose.replicas.yml) runs no service: beyond the base it holds
    what DEBIAN_PROGRAM_IMAGES names, with the SBOM of every Debian package in it."""
    if not docker_requested():
        pytest.skip("inspects the built images: E2E_DOCKER=1 (make test-containers)")
    image = f"copost/haproxy:{os.environ.get('TAG', 'dev')}"
    text = docker("run", "--rm", "--network", "none", image, "cat", "/sbom.cdx.json")
    sbom = json.loads(text)
    listing = docker("run", "--rm", image, "dpkg-query", "--show", "--showformat", DPKG_FORMAT)
    user = docker("image", "inspect", "--format", "{{.Config.User}}", image)
    components = sbom["components"]
    packages = {c["name"]: c for c in components if c.get("purl", "").startswith("pkg:deb/")}
    base = set.intersection(*(set(debian_components(other)) for other in SERVICES))
    added = [packages[name] for name in sorted(packages.keys() - base)]

    assert sbom_validator().validate_str(text) is None
    kept = REPO_ROOT / "deploy" / "images" / "sbom" / "haproxy.cdx.json"
    assert json.loads(kept.read_text()) == sbom
    assert sorted((c["name"], c["version"]) for c in packages.values()) == sorted(
        tuple(line.split("\t")[1:]) for line in listing.splitlines() if line.startswith("ii ")
    )
    assert {c["name"] for c in added} >= set(debian_packages_named("haproxy"))
    assert debian_problems("haproxy", added) == []
    assert user not in ("", "0", "root"), user
