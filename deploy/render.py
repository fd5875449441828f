"""Renders the deployment files that list the services, from shared.services (the one list).

These files cannot compute, so each is written here from the list:
- mongo-init.js of compose and of the Kubernetes dev overlay: one database user per backend;
- rabbitmq-definitions.json of compose and of the dev overlay: one broker user per backend
  (development passwords `copost-dev-<service>`; a user's salted hash is kept while it still
  matches its password, so rendering twice changes nothing);
- docker-compose.offline.yml: each backend's database URL on the unauthenticated stand-in;
- monitoring/prometheus/prometheus.yml: every process's /metrics;
- and, in files otherwise written by hand, the regions between `# -- rendered by
  deploy/render.py: NAME --` and `# -- end of NAME --`: the services' URLs in
  docker-compose.yml, the services' directories in the Kubernetes base, the images and replica
  counts of its overlays.

What differs from one service to the next (the compose blocks, each service's values.yaml and
kustomization.yaml under deploy/k8s/base/, its secrets and broker user) stays written by hand;
deploy/tests check that those name exactly the declared services.

Change shared.services or a template below, then: `.venv/bin/python deploy/render.py`.
deploy/tests/test_service_list.py fails while a rendered file is not what this renders.
"""

import base64
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.broker_users import DEFAULT_PREFIX, definitions
from shared.services import BACKENDS, GATEWAY, SERVICES

DEPLOY = Path(__file__).resolve().parent
REPO_ROOT = DEPLOY.parent
MONGO_INIT_FILES = [DEPLOY / "compose" / "mongo-init.js", DEPLOY / "k8s/overlays/dev/mongo-init.js"]
DEFINITIONS_FILES = [
    DEPLOY / "compose" / "rabbitmq-definitions.json",
    DEPLOY / "k8s/overlays/dev/rabbitmq-definitions.json",
]
OFFLINE_COMPOSE = REPO_ROOT / "docker-compose.offline.yml"
PROMETHEUS = DEPLOY / "monitoring" / "prometheus" / "prometheus.yml"

MONGO_INIT = """\
// Runs once, when the MongoDB volume is first initialised (MONGO_INITDB_ROOT_* set):
// one user per service, allowed only its own database. Development passwords only.
for (const service of {services}) {{
  db.getSiblingDB(`copost_${{service}}`).createUser({{
    user: service,
    pwd: `copost-dev-${{service}}`,
    roles: [{{ role: "readWrite", db: `copost_${{service}}` }}],
  }});
}}
"""

OFFLINE_COMPOSE_HEAD = """\
# For machines that reach no image registry (so cannot pull mongo, rabbitmq nor redis): the
# backing services from images built locally on the Debian base of deploy/images/build-base.sh.
#   make up        (adds this file by itself when no registry answers; OFFLINE=1 forces it)
#   docker compose -f docker-compose.yml -f docker-compose.offline.yml up --wait
# copost/rabbitmq is a real RabbitMQ (Debian's rabbitmq-server), copost/redis a real Valkey
# (Debian's valkey-server, Redis's open-source fork); copost/mongo-standin is NOT MongoDB but
# the embedded wire-protocol server of local runs and tests (development only).
services:
  mongo:
    image: copost/mongo-standin:${TAG:-dev}
    build:
      context: .
      dockerfile: deploy/images/mongo-standin.Dockerfile
      args: {BASE_IMAGE: "${OFFLINE_BASE_IMAGE:-copost-base:trixie}"}
    # A server process per backend's database, on consecutive ports from 27017 (one Python
    # process serves about one core: twelve replicas' databases would queue behind one), each
    # ready once it accepts connections.
    command: {command}
    healthcheck:
      test: {healthcheck}
      interval: 5s
      timeout: 5s
      start_period: 60s
      retries: 10

  rabbitmq:
    image: copost/rabbitmq:${TAG:-dev}
    # The image's own health check (an AMQP handshake) applies.
    healthcheck: !reset {}
    build:
      context: .
      dockerfile: deploy/images/rabbitmq.Dockerfile
      args: {BASE_IMAGE: "${OFFLINE_BASE_IMAGE:-copost-base:trixie}"}

  redis:
    image: copost/redis:${TAG:-dev}
    # The image's own command (Valkey's server, under its own name) and health check (a PING).
    command: !reset []
    healthcheck: !reset {}
    build:
      context: .
      dockerfile: deploy/images/redis.Dockerfile
      args: {BASE_IMAGE: "${OFFLINE_BASE_IMAGE:-copost-base:trixie}"}

  # The stand-in has no authentication: the services connect without a database user.
"""
OFFLINE_COMPOSE_BACKEND = """\
  {service}:
    environment: {{MONGO_URL: "mongodb://mongo:{port}/copost_{service}?directConnection=true"}}
"""
# The stand-in's first port; each backend's database is served on its own, in list order.
STANDIN_FIRST_PORT = 27017

PROMETHEUS_CONFIG = """\
# Prometheus of the compose profile "observability": scrapes every CoPost process's /metrics
# (OpenMetrics, so latency exemplars carry trace ids) and evaluates CoPost's alert rules.
global:
  scrape_interval: 15s
  evaluation_interval: 15s

rule_files: [alerts.yaml]

scrape_configs:
  - job_name: copost
    static_configs:
      - targets: {targets}
    relabel_configs:
      # job = the service's name, as the ServiceMonitor sets it in Kubernetes.
      - source_labels: [__address__]
        regex: "([^:]+):.*"
        target_label: job
"""


def mongo_init() -> str:
    return MONGO_INIT.format(services=json.dumps(list(BACKENDS)))


def offline_compose() -> str:
    ports = {name: STANDIN_FIRST_PORT + number for number, name in enumerate(BACKENDS)}
    command = [
        *("python3", "-m", "shared.embedded_mongo", "--host", "0.0.0.0"),
        *("--port", str(STANDIN_FIRST_PORT), "--path", "/data/db/mongo.sqlite3"),
        *("--databases", *BACKENDS),
    ]
    probe = (
        "import socket; [socket.create_connection(('127.0.0.1', p), 3).close()"
        f" for p in {sorted(ports.values())}]"
    )
    head = OFFLINE_COMPOSE_HEAD.replace("{command}", json.dumps(command)).replace(
        "{healthcheck}", json.dumps(["CMD", "python3", "-c", probe])
    )
    backends = "".join(
        OFFLINE_COMPOSE_BACKEND.format(service=name, port=port) for name, port in ports.items()
    )
    return head + backends


def prometheus_config() -> str:
    return PROMETHEUS_CONFIG.format(targets=json.dumps([f"{name}:8000" for name in SERVICES]))


def development_password(service: str) -> str:
    return f"copost-dev-{service}"


def hash_matches(password_hash: str, password: str) -> bool:
    """Whether a `rabbit_password_hashing_sha256` hash is of this password."""
    raw = base64.b64decode(password_hash)
    salt, digest = raw[:4], raw[4:]
    return hashlib.sha256(salt + password.encode()).digest() == digest


def rabbitmq_definitions(committed: str | None) -> str:
    passwords = {name: development_password(name) for name in BACKENDS}
    document: dict[str, Any] = {**definitions(passwords), "vhosts": [{"name": "/"}]}
    kept = {user["name"]: user["password_hash"] for user in _users(committed)}
    for user in document["users"]:
        old_hash = kept.get(user["name"])
        password = passwords[user["name"].removeprefix(DEFAULT_PREFIX)]
        if old_hash is not None and hash_matches(old_hash, password):
            user["password_hash"] = old_hash
    return json.dumps(document, indent=2)


def _users(committed: str | None) -> list[dict[str, str]]:
    if committed is None:
        return []
    users: list[dict[str, str]] = json.loads(committed)["users"]
    return users


# -- regions of hand-written files -----------------------------------------------------------

# The order of the compose file and of the Kubernetes lists: the backends, then the gateway.
DEPLOYED = (*BACKENDS, GATEWAY)
REGION = re.compile(
    r"^(?P<indent>[ \t]*)# -- rendered by deploy/render.py: (?P<name>[\w-]+) --\n"
    r".*?"
    r"^[ \t]*# -- end of (?P=name) --\n",
    re.MULTILINE | re.DOTALL,
)


def kubernetes_images(tag: str) -> list[str]:
    return [f"- {{name: copost/{name}, newTag: {tag}}}" for name in DEPLOYED]


REGIONS: dict[Path, dict[str, Callable[[], list[str]]]] = {
    REPO_ROOT / "docker-compose.yml": {
        "service-urls": lambda: [f"{name.upper()}_URL: http://{name}:8000" for name in BACKENDS],
    },
    DEPLOY / "k8s/base/kustomization.yaml": {
        "service-manifests": lambda: [f"- {name}" for name in DEPLOYED],
    },
    DEPLOY / "k8s/overlays/dev/kustomization.yaml": {
        "images": lambda: kubernetes_images("dev"),
        "replicas": lambda: [f"- {{name: {name}, count: 1}}" for name in DEPLOYED],
    },
    DEPLOY / "k8s/overlays/prod/kustomization.yaml": {
        "images": lambda: kubernetes_images('"0.1.0"'),
    },
}


def with_regions(text: str, regions: dict[str, Callable[[], list[str]]]) -> str:
    """`text` with each of its rendered regions rewritten; every region must be there."""
    found: list[str] = []

    def rewrite(match: re.Match[str]) -> str:
        name, indent = match["name"], match["indent"]
        found.append(name)
        lines = [f"# -- rendered by deploy/render.py: {name} --", *regions[name]()]
        lines.append(f"# -- end of {name} --")
        return "".join(f"{indent}{line}\n" for line in lines)

    text = REGION.sub(rewrite, text)
    missing = set(regions) - set(found)
    if missing:
        raise ValueError(f"no region {sorted(missing)} to render")
    return text


def rendered() -> dict[Path, str]:
    """Each rendered file and the text it should hold."""
    files = {path: mongo_init() for path in MONGO_INIT_FILES}
    for path in DEFINITIONS_FILES:
        files[path] = rabbitmq_definitions(path.read_text() if path.exists() else None)
    files[OFFLINE_COMPOSE] = offline_compose()
    files[PROMETHEUS] = prometheus_config()
    for path, regions in REGIONS.items():
        files[path] = with_regions(path.read_text(), regions)
    return files


def main() -> None:
    for path, text in rendered().items():
        path.write_text(text)
        print(f"rendered {path.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
