"""Renders docs/configuration.md, the reference of every setting, from where each is defined.

The services' settings come from their pydantic-settings classes: the variable, its default
and its meaning (the field's docstring). The variables of the tooling (make, the local stack,
compose, the image scripts, tracing, the tests) come from TOOLING below. docs/tests check that
the file is current, that every variable the code, the Makefile, compose or a script reads is
documented in one of the two, and that every variable in TOOLING is still read somewhere.

Change a settings class or TOOLING, then: `.venv/bin/python docs/configuration.py`.
"""

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from shared.services import SERVICES
from shared.settings import ServiceSettings, deployed_for

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = REPO_ROOT / "docs" / "configuration.md"
DAY_SECONDS = 24 * 3600

HEAD = """\
# Configuration

<!-- Rendered by docs/configuration.py from the settings classes and its TOOLING list: edit
those, then run `.venv/bin/python docs/configuration.py`. A test fails while this is stale. -->

Every setting is an environment variable, read by pydantic-settings (no prefix, any case),
with a default that runs locally. `make run` passes its own environment on to every process;
compose sets them per container in `docker-compose.yml`; Kubernetes in the `copost-config`
ConfigMap and the Secrets of `deploy/k8s/` ([deployment](deployment.md)). Secrets (the MongoDB
and AMQP URLs, the private keys) are never logged.
"""


@dataclass(frozen=True)
class ToolingVariable:
    names: tuple[str, ...]
    default: str
    read_by: str
    meaning: str


TOOLING = (
    ToolingVariable(
        ("PORT",),
        "`8000`",
        "`make run`",
        "the gateway's port; the services take the next seven (8001 to 8007), the embedded"
        " MongoDB servers, one per service's database, PORT+9 to PORT+15; every process"
        " listens on 127.0.0.1 only",
    ),
    ToolingVariable(
        ("STACK",),
        "`local<PORT>`",
        "`make run`",
        "the local stack's name on the shared broker: its queues and exchanges are"
        " `<STACK>.*` (AMQP_NAMESPACE) and its broker users `copost-<STACK>-<service>`"
        " (AMQP_USER_PREFIX), unless those are set; a stop removes them all, so several stacks"
        " (other PORT and DATA_DIR) share one broker",
    ),
    ToolingVariable(
        ("DATA_DIR",),
        "`.data`",
        "`make run`",
        "where the local stack keeps its data (the embedded MongoDB's stores,"
        " `secantus-<service>/`, the token-signing keys) and each process's log (`logs/`); it"
        " survives restarts, delete it to start afresh",
    ),
    ToolingVariable(
        ("EMBEDDED_MONGO",),
        "`secantus` (`mongoeco` in the `copost/mongo-standin` image)",
        "`make run`, the tests, the benchmarks, the stand-in image",
        "the embedded MongoDB servers used when `MONGO_URL` is not set (one per service's"
        " database): `secantus` (SecantusDB, a separate process) or `mongoeco` (pure Python); see"
        " [the ADR](adr/0002-embedded-mongodb-server.md)",
    ),
    ToolingVariable(
        ("COPOST_UNLOCKED",),
        "`0`",
        "`make install`",
        "`1`: sync the workspace without checking `uv.lock` (after changing dependencies)",
    ),
    ToolingVariable(
        ("RABBITMQ_WAIT_SECONDS",),
        "`90`",
        "`make run`, `make test` (`deploy/local/rabbitmq.sh`)",
        "how long to wait for a RabbitMQ just started to answer",
    ),
    ToolingVariable(
        ("REDIS_WAIT_SECONDS",),
        "`30`",
        "`make run`, `make test`, `make bench` (`deploy/local/redis.sh`)",
        "how long to wait for a Redis just started to answer",
    ),
    ToolingVariable(
        ("FLOOR_BODY_FILE",),
        "set by the benchmark",
        "`bench/floor_app.py`",
        "the bytes the floor app (a bare FastAPI app) returns: the page the benchmark measured",
    ),
    ToolingVariable(
        ("FLOOR_CONTENT_TYPE",),
        "set by the media benchmark",
        "`bench/floor_app.py`",
        "the content type the floor app answers with (`application/json` unless set)",
    ),
    ToolingVariable(
        ("SOCIAL_GRAPH_DIR",),
        "`../shared/dsb/socfb-Reed98` (beside the checkout)",
        "`make bench` (`bench/social_bench.py`)",
        "a DeathStarBench social graph folder (`<name>.nodes`, `<name>.edges`; never committed"
        " here); missing: the bench generates a graph of the same shape",
    ),
    ToolingVariable(
        ("DURATION",),
        "`1800`",
        "`make soak`",
        "seconds of the soak's load (`make soak DURATION=300`: five minutes)",
    ),
    ToolingVariable(
        ("RATE",),
        "`15`",
        "`make soak`",
        "the soak's arrivals a second (open loop)",
    ),
    ToolingVariable(
        ("DOCKER",),
        "`0`",
        "`make soak`",
        "`1`: the soak runs on the replicated stack in containers (two of each service, two"
        " gateways behind HAProxy) with container faults; its report is"
        " `bench/results/soak-containers.md`",
    ),
    ToolingVariable(
        ("PYTEST_ARGS",),
        "empty",
        "`make test`, `unit`, `e2e`, `test-containers`, `k8s-check`",
        'options passed on to pytest, e.g. `PYTEST_ARGS="-x -k invitations"`',
    ),
    ToolingVariable(
        ("E2E_DOCKER",),
        "unset",
        "`tests-e2e`",
        "`1`: every stack of the end-to-end suite runs in containers (`make test-containers`),"
        " and the container-only tests run",
    ),
    ToolingVariable(
        ("OFFLINE",),
        "`1` when no image registry answers, else `0`",
        "`make images`, `up`, `down`, `test-containers`",
        "`1`: build on the Debian base (`deploy/images/build-base.sh`) and run the locally"
        " built RabbitMQ and MongoDB stand-in (`docker-compose.offline.yml`)",
    ),
    ToolingVariable(
        ("TAG",),
        "`dev`",
        "`make images`, compose, the container tests",
        "the tag of the `copost/*` images",
    ),
    ToolingVariable(
        ("BASE_IMAGE",),
        "`python:3.13-slim`; `copost-base:trixie` when `OFFLINE=1`",
        "`make images`, compose builds",
        "the Python 3.13 image the service images are built on",
    ),
    ToolingVariable(
        ("OFFLINE_BASE_IMAGE",),
        "`copost-base:trixie`",
        "`make images`, `docker-compose.offline.yml`",
        "the name of the Debian base image built by `deploy/images/build-base.sh`",
    ),
    ToolingVariable(
        ("STANDINS",),
        "`0`",
        "`make images`",
        "`1`: also build the Debian base and the RabbitMQ and MongoDB stand-in images when a"
        " registry answers (`make test-containers` does, for the RabbitMQ cluster test)",
    ),
    ToolingVariable(
        ("SUITE", "PACKAGES"),
        "`trixie`; `python3,python3-venv,ca-certificates`",
        "`deploy/images/build-base.sh`",
        "the Debian release debootstrapped, and the packages it includes",
    ),
    ToolingVariable(
        ("FORCE",),
        "`0`",
        "`deploy/images/build-base.sh`",
        "`1`: debootstrap the base again even if its image exists",
    ),
    ToolingVariable(
        ("MIRROR",),
        "the mirror of this machine's apt sources",
        "`deploy/images/build-base.sh`, `install-docker.sh`",
        "the Debian mirror the image scripts fetch from",
    ),
    ToolingVariable(
        ("MONGO_ROOT_PASSWORD",),
        "`copost-dev-root`",
        "compose",
        "the password of the compose MongoDB's root user (development only)",
    ),
    ToolingVariable(
        ("RABBITMQ_UI_PORT",),
        "a free port",
        "compose",
        "the loopback port of RabbitMQ's management UI (`docker compose port rabbitmq 15672`"
        " tells the free one)",
    ),
    ToolingVariable(
        ("RABBITMQ_ERLANG_COOKIE", "RABBITMQ_CLUSTER_NODES"),
        "unset: a node of its own",
        "the `copost/rabbitmq` image",
        "clustering: every node gets the same cookie and the list of the cluster's nodes"
        ' (`"rabbit@rabbitmq-1 rabbit@rabbitmq-2 ..."`, each container\'s hostname being its'
        " node's host part); the nodes then find each other at start",
    ),
    ToolingVariable(
        ("REPLICAS",),
        "`1` (`make up`); `2` in `docker-compose.replicas.yml`",
        "`make up`, `docker-compose.replicas.yml`",
        "more than `1`: `make up` adds `docker-compose.replicas.yml`, this many replicas of every"
        " backend service behind two gateways and HAProxy"
        " ([deployment](deployment.md#replicas-in-compose))",
    ),
    ToolingVariable(
        ("GATEWAY_REPLICAS",),
        "`2`",
        "`docker-compose.replicas.yml`",
        "the gateways behind HAProxy (at most 8: its server slots)",
    ),
    ToolingVariable(
        ("HAPROXY_STATS_PORT",),
        "a free port",
        "`docker-compose.replicas.yml`",
        "the loopback port of HAProxy's statistics page, `/stats` (`docker compose port haproxy"
        " 8404` tells the free one)",
    ),
    ToolingVariable(
        ("OBSERVABILITY",),
        "`0`",
        "`make up`",
        "`1`: also start the compose profile `observability` (needs an image registry)",
    ),
    ToolingVariable(
        ("GRAFANA_PORT", "PROMETHEUS_PORT", "JAEGER_UI_PORT"),
        "`3000`, `9090`, `16686`",
        "compose profile `observability`",
        "the loopback ports of Grafana, Prometheus and Jaeger's UI",
    ),
    ToolingVariable(
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        "unset: no tracing; `http://otel-collector:4318` with `make up OBSERVABILITY=1`;"
        " `http://otel-collector.monitoring:4318` in the Kubernetes prod overlay",
        "every process",
        "where spans go, over OTLP/HTTP in JSON; setting it turns tracing on. The SDK's other"
        " standard variables apply: `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` and"
        " `OTEL_TRACES_SAMPLER_ARG` (default: every trace), `OTEL_EXPORTER_OTLP_HEADERS`,"
        " `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_BSP_*`. See [operations](operations.md#traces)",
    ),
    ToolingVariable(
        ("OTEL_TRACES_EXPORTER",),
        "`otlp` when an endpoint is set",
        "every process",
        "`otlp` or `console` (spans in each process's log) turns tracing on; `none` keeps it off",
    ),
    ToolingVariable(
        ("OTEL_SDK_DISABLED",),
        "`false`",
        "every process",
        "`true` keeps tracing off whatever else is set",
    ),
    ToolingVariable(
        ("OTEL_SERVICE_NAME",),
        "the service's name",
        "every process",
        "the `service.name` of its spans",
    ),
)


def settings_classes() -> list[tuple[str, type[ServiceSettings]]]:
    """Each service's settings class (`<service>.settings`), in the order of shared.services."""
    found = []
    for service in SERVICES:
        module = importlib.import_module(f"{service}.settings")
        classes = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, ServiceSettings)
            and value is not ServiceSettings
        ]
        found += [(service, cls) for cls in classes]
    return found


def variable(name: str) -> str:
    return f"`{name.upper()}`"


def plain(value: Any) -> Any:
    """A default as JSON shows it: integral floats as integers, models without their defaults."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (tuple, list, frozenset, set)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def default_text(name: str, field: FieldInfo) -> str:
    value = field.default_factory() if field.default is PydanticUndefined else field.default  # type: ignore[call-arg,misc]
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return "none"
    if value == "":
        return "empty"
    if isinstance(value, Path):
        return f"`{value.relative_to(REPO_ROOT) if value.is_relative_to(REPO_ROOT) else value}`"
    if isinstance(value, str):
        return f"`{value}`"
    text = f"`{json.dumps(plain(value))}`"
    if name.endswith("_seconds") and isinstance(value, (int, float)) and value >= DAY_SECONDS:
        text += f" ({value / DAY_SECONDS:g} days)"
    return text


def meaning(owner: str, name: str, field: FieldInfo) -> str:
    if not field.description:
        raise ValueError(f"{owner}.{name} has no docstring: say what the setting means")
    text = " ".join(field.description.split()).replace("|", "\\|")
    needs = deployed_for(field)
    if needs is None:
        return text
    whom = "every process" if needs == "every process" else f"every process that uses {needs}"
    return f"{text} **A deployment sets it for {whom}.**"


def settings_table(owner: str, fields: dict[str, FieldInfo]) -> list[str]:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [
        f"| {variable(name)} | {default_text(name, field)} | {meaning(owner, name, field)} |"
        for name, field in fields.items()
    ]
    return rows


def tooling_table() -> list[str]:
    rows = ["| variable | default | read by | meaning |", "|---|---|---|---|"]
    for entry in TOOLING:
        names = ", ".join(variable(name) for name in entry.names)
        rows.append(f"| {names} | {entry.default} | {entry.read_by} | {entry.meaning} |")
    return rows


def render() -> str:
    shared = ServiceSettings.model_fields
    lines = [HEAD, "## Every service", ""]
    lines += ["`shared.settings.ServiceSettings`, which every service's settings extend:", ""]
    lines += settings_table("ServiceSettings", dict(shared))
    for service, cls in settings_classes():
        own = {name: field for name, field in cls.model_fields.items() if name not in shared}
        lines += ["", f"## {service}", "", f"`{cls.__module__}.{cls.__name__}`:", ""]
        lines += settings_table(cls.__name__, own)
    lines += ["", "## Outside the services", ""]
    lines += ["`make`, the local stack, compose, the image scripts, tracing and the tests:", ""]
    lines += tooling_table()
    return "\n".join(lines) + "\n"


def documented_variables() -> set[str]:
    """Every variable this reference documents."""
    names = {name.upper() for name in ServiceSettings.model_fields}
    for _, cls in settings_classes():
        names |= {name.upper() for name in cls.model_fields}
    return names | {name for entry in TOOLING for name in entry.names}


def main() -> None:
    REFERENCE.write_text(render())
    print(f"rendered {REFERENCE.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
