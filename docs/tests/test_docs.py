"""The docs: the configuration reference is current and complete, and every link leads somewhere.

Every variable the services' settings classes, the code, the Makefile, compose or a script
reads is in docs/configuration.md; every relative link of README.md and docs/ names a file
that exists (and, with `#`, a heading in it); every page of docs/ is at most two links away
from the README.
"""

import re
from pathlib import Path

import pytest

from shared.testing import load_script

DOCS = Path(__file__).resolve().parents[1]
REPO_ROOT = DOCS.parent
README = REPO_ROOT / "README.md"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# What reads environment variables, and how.
PYTHON_SOURCES = ["shared/*/src/**/*.py", "services/*/src/**/*.py", "deploy/**/*.py"]
PYTHON_SOURCES += ["tests-e2e/*.py", "bench/*.py"]
PYTHON_READ = re.compile(r"""(?:environ\.get|getenv|environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")
COMPOSE_FILES = ["docker-compose*.yml", "tests-e2e/*.yml"]
COMPOSE_READ = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")
SHELL_SCRIPTS = ["deploy/**/*.sh", ".ci/run"]
# A variable read with a default: ${NAME:-default} or ${NAME-default}.
SHELL_READ = re.compile(r"\$\{([A-Z][A-Z0-9_]*):?-")
# Set by Debian's /etc/os-release, which the scripts read; not a setting.
NOT_SETTINGS = {"VERSION_CODENAME"}
MAKEFILE_SETTING = re.compile(r"^([A-Z][A-Z0-9_]*) \?=", re.MULTILINE)


configuration = load_script(DOCS / "configuration.py")


def variables_read() -> dict[str, str]:
    """Each environment variable read by the repository, and one file that reads it."""
    found: dict[str, str] = {}
    sources = [
        (PYTHON_SOURCES, PYTHON_READ),
        (COMPOSE_FILES, COMPOSE_READ),
        (SHELL_SCRIPTS, SHELL_READ),
        (["Makefile"], MAKEFILE_SETTING),
    ]
    for patterns, reads in sources:
        for pattern in patterns:
            for path in REPO_ROOT.glob(pattern):
                for name in reads.findall(path.read_text()):
                    found.setdefault(name, str(path.relative_to(REPO_ROOT)))
    return {name: path for name, path in found.items() if name not in NOT_SETTINGS}


def test_the_configuration_reference_is_current() -> None:
    rendered = configuration.render()
    assert configuration.REFERENCE.read_text() == rendered, (
        "docs/configuration.md is stale: run .venv/bin/python docs/configuration.py"
    )


def test_every_variable_read_is_in_the_configuration_reference() -> None:
    undocumented = {
        name: path
        for name, path in variables_read().items()
        if name not in configuration.documented_variables()
    }
    assert undocumented == {}, "add these to docs/configuration.py's TOOLING (or a settings class)"


def test_every_tooling_variable_documented_is_still_read() -> None:
    read = variables_read()
    documented = {name for entry in configuration.TOOLING for name in entry.names}
    assert documented - set(read) == set()


def anchors(markdown: Path) -> set[str]:
    """GitHub's anchors of a page's headings."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown.read_text(), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def pages() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def relative_links(page: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(page.read_text())
        if not re.match(r"^[a-z]+:", target) and not target.startswith("#")
    ]


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        missing_heading = anchor and linked.suffix == ".md" and anchor not in anchors(linked)
        if not linked.exists() or missing_heading:
            broken.append(target)
    assert broken == []


def linked_pages(page: Path) -> set[Path]:
    linked = set()
    for target in relative_links(page):
        path = (page.parent / target.partition("#")[0]).resolve()
        if path.suffix == ".md" and path.exists():
            linked.add(path)
    return linked


def test_every_page_of_the_docs_is_two_links_from_the_readme() -> None:
    first = linked_pages(README)
    second = set().union(*(linked_pages(page) for page in first))
    unreachable = set(DOCS.rglob("*.md")) - first - second
    assert sorted(str(page.relative_to(REPO_ROOT)) for page in unreachable) == []


def test_the_configuration_reference_is_one_link_from_the_readme() -> None:
    assert configuration.REFERENCE in linked_pages(README)
