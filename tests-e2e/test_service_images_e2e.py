"""In containers (E2E_DOCKER=1): each service image is small, runs as non-root, carries no dev tool.

The images are the ones `make images` built (copost/<service>:TAG); the development group of
the workspace (test tools, linters, the embedded MongoDB server) must not be in any of them.
"""

import os
import re
import tomllib

import pytest
from compose_stack import SERVICES, docker, docker_requested
from stack import REPO_ROOT

SIZE_LIMIT_BYTES = 200 * 1000 * 1000
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
    specs: list[str] = project["dependency-groups"]["dev"] + testing["project"]["dependencies"]
    names = {_normalized(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0]) for spec in specs}
    return names - {"copost-kernel", "copost-contracts"}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


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

    assert size <= SIZE_LIMIT_BYTES, f"{image} is {size / 1e6:.0f} MB"
    assert user.split(":")[0] not in ("", "0", "root"), f"{image} runs as {user!r}"
    assert service in installed
    assert development_packages() & {_normalized(name) for name in installed} == set()
    assert testing_importable.split() == ["False", "False"]
