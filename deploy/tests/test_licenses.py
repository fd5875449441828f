"""The repository's license, the third-party inventory, and the license policy of the images.

deploy/inventory.py reads uv.lock and the packages' metadata (through cyclonedx-py, over this
development environment, which holds every locked package); the container suite applies the
same policy to each built image's own SBOM.
"""

import tomllib

import pytest
from inventory import (
    DEBIAN_COPYLEFT_IN_IMAGES,
    DEBIAN_PROGRAM_IMAGES,
    DEVELOPMENT_ONLY,
    INVENTORY,
    OVERRIDES,
    PROJECT_LICENSE,
    REPO_ROOT,
    Package,
    allowed,
    debian_packages_named,
    debian_problems,
    image_contents,
    image_problems,
    packages_of,
    problems,
    render,
    sbom_of_this_environment,
    service_names,
)

from shared.services import SERVICES


@pytest.fixture(scope="module")
def environment() -> dict[str, Package]:
    return packages_of(sbom_of_this_environment())


def test_the_repository_and_every_workspace_member_are_under_the_project_license() -> None:
    members = [REPO_ROOT, *(path.parent for path in REPO_ROOT.glob("*/*/pyproject.toml"))]

    assert (REPO_ROOT / "LICENSE").read_text().split()[:4] == [
        "Apache",
        "License",
        "Version",
        "2.0,",
    ]
    for member in members:
        project = tomllib.loads((member / "pyproject.toml").read_text())["project"]
        assert project["license"] == PROJECT_LICENSE, member
    # The root, the three parts of `shared`, and every service.
    assert len(members) == 1 + 3 + len(SERVICES)


def test_the_inventory_is_current(environment: dict[str, Package]) -> None:
    assert INVENTORY.read_text() == render(environment), (
        "docs/third-party-licenses.md is stale: run .venv/bin/python deploy/inventory.py"
    )


def test_every_package_and_every_image_meets_the_policy(environment: dict[str, Package]) -> None:
    assert problems(environment) == []


def test_the_copyleft_development_tools_are_in_no_image(environment: dict[str, Package]) -> None:
    in_images = {name for names in image_contents().values() for name in names}

    assert environment["secantusdb"].license == "GPL-2.0-only AND CC-BY-4.0"
    assert {"secantusdb", "mongoeco", "pytest", "playwright"} <= environment.keys() - in_images
    assert DEVELOPMENT_ONLY.keys() & in_images == set()


@pytest.mark.parametrize(
    ("expression", "verdict"),
    [
        ("MIT", True),
        ("Apache-2.0 OR BSD-3-Clause", True),
        ("MIT OR GPL-3.0-only", True),
        ("MIT AND GPL-3.0-only", False),
        ("(MIT OR GPL-3.0-only) AND LGPL-2.1-or-later", False),
        ("LGPL-3.0-or-later", False),
        ("AGPL-3.0-only", False),
        ("GPL-2.0-only WITH Classpath-exception-2.0", False),
    ],
)
def test_an_image_takes_what_the_allowed_licenses_alone_can_satisfy(
    expression: str, verdict: bool
) -> None:
    assert allowed(expression) is verdict


def test_an_image_refuses_copyleft_undetermined_and_acknowledged_development_packages() -> None:
    packages = {
        "permissive": Package("permissive", "1", ("MIT",)),
        "copyleft": Package("copyleft", "1", ("GPL-3.0-or-later",)),
        "unclear": Package("unclear", "1", ("MIT", "License :: OSI Approved")),
        "secantusdb": Package("secantusdb", "1", ("MIT",)),
    }

    refused = image_problems("posts", packages)

    assert refused == [
        "posts: copyleft 1 is GPL-3.0-or-later, refused in images",
        "posts: secantusdb 1 is MIT, refused in images",
        "posts: unclear 1 states no single license",
    ]


def test_an_override_holds_only_for_the_metadata_it_was_read_from() -> None:
    override = OVERRIDES["uvloop"]

    assert Package("uvloop", "1", override.declared).license == "MIT OR Apache-2.0"
    assert Package("uvloop", "2", ("MIT",)).license is None


def test_a_single_license_in_the_metadata_is_read_as_spdx() -> None:
    assert Package("p", "1", ("mit",)).license == "MIT"
    assert Package("p", "1", ("Apache-2.0 AND (MIT OR BSD-2-Clause)",)).license is not None
    assert Package("p", "1", ("Apache",)).license is None
    assert Package("p", "1", ()).license is None


def test_a_copyleft_development_tool_must_be_acknowledged(environment: dict[str, Package]) -> None:
    tool = Package("gpl-linter", "1.0", ("GPL-3.0-only",))

    found = problems({**environment, tool.name: tool})

    assert "gpl-linter (GPL-3.0-only): not allowed in images and not acknowledged" in found
    assert "gpl-linter: 1.0 installed, uv.lock says none (run make install)" in found


def debian_package(name: str, source: str, *licenses: str) -> dict[str, object]:
    """A Debian package as an image's SBOM shows it (deploy/images/sbom.py)."""
    return {
        "name": name,
        "properties": [{"name": "copost:deb:source_package", "value": source}],
        **({"licenses": [{"license": {"name": n}} for n in licenses]} if licenses else {}),
    }


def test_an_image_adds_copyleft_debian_packages_only_by_their_allowed_source() -> None:
    added = [
        debian_package("libfine1", "fine", "BSD-3-clause", "MPL-2.0"),
        debian_package("libcopyleft1", "copyleft", "GPL-2+", "Expat"),
        debian_package("liblesser1", "lesser", "LGPL-2.1+"),
        debian_package("libunread1", "unread"),
    ]

    assert debian_problems("posts", added) == [
        "posts: libcopyleft1 (source copyleft) is GPL-2+",
        "posts: liblesser1 (source lesser) is LGPL-2.1+",
        "posts: libunread1 (source unread) states no license",
    ]


def test_the_allowed_debian_sources_are_for_images_that_add_debian_packages() -> None:
    assert set(DEBIAN_COPYLEFT_IN_IMAGES) <= set(service_names()) | set(DEBIAN_PROGRAM_IMAGES)
    for service, sources in DEBIAN_COPYLEFT_IN_IMAGES.items():
        assert debian_packages_named(service), f"{service} adds no Debian package"
        assert all(reason.strip() for reason in sources.values())


@pytest.mark.parametrize("image", sorted(DEBIAN_PROGRAM_IMAGES))
def test_a_program_image_installs_what_the_inventory_names(image: str) -> None:
    dockerfile = REPO_ROOT / "deploy" / "images" / f"{image}.Dockerfile"
    text = dockerfile.read_text().replace("\\\n", " ")
    [install] = [line for line in text.splitlines() if "apt-get install" in line]
    named = install.split("--no-install-recommends", 1)[1].split(">", 1)[0].split()

    assert named == DEBIAN_PROGRAM_IMAGES[image]
