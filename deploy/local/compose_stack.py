"""The whole stack in containers for the end-to-end suite (E2E_DOCKER=1), through testcontainers.

Each stack is its own compose project (`copost-e2e-<random>`, never `copost`, so tearing it
down with its volumes cannot touch a `make up` stack) on a free loopback port, with the test
settings put into every service's environment by a generated override file. It runs the
images `make images` built (TAG); with OFFLINE=1 the locally built backing images of
docker-compose.offline.yml. It is torn down, volumes included, even when start-up fails.
A replicated stack (docker-compose.replicas.yml) publishes HAProxy on that port, and each
gateway replica on a free loopback port of its own, so a test can pick its gateway.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from uuid import uuid4

from stack import BACKEND_PORT_OFFSETS, GATEWAY, REPO_ROOT

from shared.identity import write_env_files

SERVICES = [*BACKEND_PORT_OFFSETS, GATEWAY]
# The replicas of each service (gateways too) in a replicated stack.
REPLICAS = 2
# The processes' signing keys, which docker-compose.yml reads (`make up` writes them too).
COMPOSE_KEYS_DIR = REPO_ROOT / "deploy" / "compose" / "keys"
# No registry is reachable for the Ryuk reaper image; traffic goes to published ports.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")

from testcontainers.compose import DockerCompose  # noqa: E402 -- after the settings above


def docker_requested() -> bool:
    """Whether this run asked for the stack in containers (E2E_DOCKER=1)."""
    return os.environ.get("E2E_DOCKER") == "1"


def docker(*args: str) -> str:
    """Run the docker CLI; its standard output."""
    command = [shutil.which("docker") or "docker", *args]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    return completed.stdout.strip()


@dataclass
class ProjectCompose(DockerCompose):
    """testcontainers' DockerCompose under a compose project name of our choosing."""

    project_name: str = "copost-e2e"

    @cached_property
    def compose_command_property(self) -> list[str]:
        command: list[str] = DockerCompose.compose_command_property.func(self)  # type: ignore[attr-defined]
        return [*command, "--project-name", self.project_name]


@dataclass
class ComposeStack:
    """A running stack: its gateway URL and what the tests do to its containers."""

    compose: ProjectCompose
    gateway_url: str

    def container_id(self, service: str) -> str:
        [container] = self.container_ids(service)
        return container

    def container_ids(self, service: str) -> list[str]:
        """The service's containers (one per replica), in the order of their replica number."""
        project = f"label=com.docker.compose.project={self.compose.project_name}"
        wanted = f"label=com.docker.compose.service={service}"
        listed = docker(
            "ps", "-a", "--filter", project, "--filter", wanted,
            "--format", '{{.ID}} {{.Label "com.docker.compose.container-number"}}',
        )  # fmt: skip
        numbered = [line.split() for line in listed.splitlines()]
        return [container for container, _ in sorted(numbered, key=lambda pair: int(pair[1]))]

    def published_url(self, container: str, port: int = 8000) -> str:
        """The loopback URL at which a container's port is published."""
        published = docker("port", container, str(port)).splitlines()[0]
        return f"http://{published}"

    def crash(self, service: str) -> None:
        """SIGKILL the service's main process from outside, as a crash would end it."""
        pid = int(docker("inspect", "--format", "{{.State.Pid}}", self.container_id(service)))
        os.kill(pid, signal.SIGKILL)

    def restart_count(self, service: str) -> int:
        return int(docker("inspect", "--format", "{{.RestartCount}}", self.container_id(service)))

    def health(self, service: str) -> str:
        return docker("inspect", "--format", "{{.State.Health.Status}}", self.container_id(service))

    def stop(self, service: str) -> None:
        docker("stop", self.container_id(service))

    def start(self, service: str) -> None:
        docker("start", self.container_id(service))

    def exec(self, service: str, *command: str) -> str:
        return docker("exec", self.container_id(service), *command)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _settings_override(
    work_dir: Path, settings: Mapping[str, str], gateway_port: int, replicated: bool
) -> Path:
    """A compose file that puts `settings` in every service and publishes on this run's ports."""
    environment = json.dumps(dict(settings))  # a JSON object is a YAML flow mapping
    lines = ["services:"]
    for name in SERVICES:
        lines += [f"  {name}:", f"    environment: {environment}"]
        if replicated:  # two of each, whatever REPLICAS the caller's environment holds
            lines += [f"    deploy: {{replicas: {REPLICAS}}}"]
    # !override replaces the base file's port lists instead of adding to them.
    if replicated:
        lines += [
            '    ports: !override ["127.0.0.1::8000"]',  # under GATEWAY: each replica's own
            "  haproxy:",
            f'    ports: !override ["127.0.0.1:{gateway_port}:8000", "127.0.0.1::8404"]',
        ]
    else:
        lines += [f'    ports: !override ["127.0.0.1:{gateway_port}:8000"]']  # under GATEWAY
    lines += ["  rabbitmq:", '    ports: !override ["127.0.0.1::15672"]']
    path = work_dir / "e2e.compose.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


@contextmanager
def compose_stack(
    work_dir: Path,
    settings: Mapping[str, str],
    extra_files: Sequence[Path] = (),
    project_name: str | None = None,
    replicated: bool = False,
) -> Iterator[ComposeStack]:
    """Start the stack in containers with `settings` in every service; remove it all after.
    `replicated`: with docker-compose.replicas.yml (two of each, HAProxy published)."""
    write_env_files(COMPOSE_KEYS_DIR, SERVICES)
    files = ["docker-compose.yml"]
    if os.environ.get("OFFLINE") == "1":
        files.append("docker-compose.offline.yml")
    if replicated:
        files.append("docker-compose.replicas.yml")
    gateway_port = _free_port()
    override = _settings_override(work_dir, settings, gateway_port, replicated)
    files += [str(path) for path in extra_files] + [str(override)]
    compose = ProjectCompose(
        context=str(REPO_ROOT),
        compose_file_name=files,
        wait=True,
        project_name=project_name or f"copost-e2e-{uuid4().hex[:10]}",
    )
    try:
        try:
            compose.start()
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(
                f"docker compose up --wait failed for {compose.project_name}: "
                f"{exc.stderr.decode(errors='replace')[-3000:]}\n{_logs_tail(compose)}"
            ) from None
        yield ComposeStack(compose, f"http://127.0.0.1:{gateway_port}")
    finally:
        # down --volumes: this run's own project only, and even after a failed start.
        compose.stop(down=True)


def _logs_tail(compose: DockerCompose, characters: int = 6000) -> str:
    try:
        return compose.get_logs()[0][-characters:]
    except subprocess.CalledProcessError:
        return "(no logs)"
