"""In containers (E2E_DOCKER=1): the README's set-up on fresh Debian 12 and 13 machines.

A fresh machine is a root filesystem debootstrapped by deploy/images/build-base.sh with what
such a machine comes with (python3, make, CA certificates) and nothing else: no uv, no Python
3.13 on Debian 12, no apt package lists, no other release's apt source. A container of it gets
a copy of the checkout's files (what `git clone` gives: no .venv, no .data) and runs
tests-e2e/fresh_machine.sh: as root, `make run` answering a sign-up and a post through the
gateway, `make test`'s install steps, then all of them again (which must do nothing); as a
plain user, the same steps, each of which must say what to do. On Debian 12 the build
machine's Python 3.13 (pyenv's) stands for the one docs/development.md asks users for, uv
being unable to download one here. The two releases run side by side. Downloads are cached
between runs (apt's archives, uv's cache): they save time, never a step.
"""

import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from compose_stack import docker_requested
from stack import REPO_ROOT

RELEASES = {"bookworm": "Debian 12", "trixie": "Debian 13"}
USERS = ("root", "plain-user")
FRESH_PACKAGES = "ca-certificates,make,python3"
SCRIPT = REPO_ROOT / "tests-e2e" / "fresh_machine.sh"
CACHE = Path("/var/cache/copost-fresh-machines")
# The machine's own TLS trust and proxy settings, not the project's: the containers use them.
MACHINE_CERTIFICATES = Path("/usr/local/share/ca-certificates")
MACHINE_SETTINGS = ("SSL_CERT_FILE", "PIP_CERT", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
SET_UP_TIMEOUT_SECONDS = 1200
GIT_LS_FILES = ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]
DOCKER = shutil.which("docker") or "docker"

type SetUps = dict[str, Future[dict[str, subprocess.CompletedProcess[str] | None]]]


def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    """Run a command of ours (git, docker, build-base.sh), capturing its output as text."""
    return subprocess.run(command, capture_output=True, text=True, **options)  # noqa: S603


def checkout_archive(directory: Path) -> Path:
    """The checkout's files (tracked, or new and not ignored) as they are in the work tree."""
    listed = run(["git", "-C", str(REPO_ROOT), *GIT_LS_FILES], check=True).stdout
    archive = directory / "checkout.tar"
    with tarfile.open(archive, "w") as tar:
        for name in filter(None, listed.split("\0")):
            if (REPO_ROOT / name).exists():
                tar.add(REPO_ROOT / name, arcname=name, recursive=False)
    return archive


def fresh_machine_image(release: str) -> str:
    """The image of a fresh machine of this release (debootstrapped once, then kept)."""
    image = f"copost-fresh:{release}"
    run(
        [str(REPO_ROOT / "deploy/images/build-base.sh"), image],
        env={**os.environ, "SUITE": release, "PACKAGES": FRESH_PACKAGES},
        check=True,
    )
    return image


def python313() -> Path | None:
    """The build machine's pyenv Python 3.13, if it has one."""
    found = sorted((Path.home() / ".pyenv" / "versions").glob("3.13*/bin/python3.13"))
    return found[-1].parents[1] if found else None


def cache(name: str) -> str:
    path = CACHE / name
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def set_up(image: str, who: str, volumes: list[str]) -> subprocess.CompletedProcess[str]:
    """fresh_machine.sh as `who` in a new container of `image`, removed afterwards."""
    container = f"copost-fresh-{uuid4().hex[:10]}"
    command = [DOCKER, "run", "--rm", "--name", container]
    command += [f"--volume={volume}" for volume in volumes]
    command += [f"--env={name}" for name in MACHINE_SETTINGS if name in os.environ]
    try:
        return run([*command, image, "fresh", who], timeout=SET_UP_TIMEOUT_SECONDS, check=False)
    finally:
        run([DOCKER, "rm", "--force", container], check=False)


def set_up_both_ways(
    release: str, archive: Path
) -> dict[str, subprocess.CompletedProcess[str] | None]:
    """The set-up as a plain user, then as root (None where the machine cannot provide it)."""
    image = fresh_machine_image(release)
    volumes = [f"{archive}:/tmp/checkout.tar:ro", f"{SCRIPT}:/usr/local/bin/fresh:ro"]
    if MACHINE_CERTIFICATES.is_dir():
        volumes.append(f"{MACHINE_CERTIFICATES}:/usr/local/share/ca-certificates:ro")
    done: dict[str, subprocess.CompletedProcess[str] | None] = {}
    done["plain-user"] = set_up(image, "plain-user", volumes)
    volumes.append(f"{cache(release + '/apt')}:/var/cache/apt/archives")
    volumes.append(f"{cache('uv')}:/root/.cache/uv")
    if release == "bookworm":
        python = python313()
        if python is None:
            done["root"] = None
            return done
        volumes.append(f"{python}:/root/.pyenv/versions/{python.name}:ro")
    done["root"] = set_up(image, "root", volumes)
    return done


@pytest.fixture(scope="session")
def fresh_machine_set_ups(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SetUps]:
    """Every release's set-ups, started at once; each test waits for its own."""
    if not docker_requested():
        pytest.skip("starts fresh machines in containers: E2E_DOCKER=1 (make test-containers)")
    if os.geteuid() != 0:
        pytest.skip("debootstraps the fresh machines: needs root")
    archive = checkout_archive(tmp_path_factory.mktemp("checkout"))
    with ThreadPoolExecutor(max_workers=len(RELEASES)) as pool:
        yield {release: pool.submit(set_up_both_ways, release, archive) for release in RELEASES}


# The first test waits for both set-ups of its release, one after the other.
@pytest.mark.timeout(2 * SET_UP_TIMEOUT_SECONDS + 600)
@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("release", RELEASES)
def test_the_readme_set_up_works_on_a_fresh_machine(
    release: str, who: str, fresh_machine_set_ups: SetUps
) -> None:
    completed = fresh_machine_set_ups[release].result()[who]
    if completed is None:
        pytest.skip(f"{RELEASES[release]} needs a Python 3.13: none in this machine's ~/.pyenv")
    print(completed.stdout)
    assert completed.returncode == 0, (
        f"{RELEASES[release]}, {who}:\n{completed.stdout[-8000:]}\n{completed.stderr[-4000:]}"
    )
