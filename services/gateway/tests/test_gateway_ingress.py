"""The public ingress routes the public surface only: probes and metrics stay inside."""

import re
from pathlib import Path

import pytest

INGRESS = Path(__file__).resolve().parents[3] / "deploy" / "k8s" / "base" / "ingress.yaml"


def routed_paths() -> list[tuple[str, str]]:
    """(path, pathType) of every rule of the gateway's Ingress."""
    text = INGRESS.read_text()
    return re.findall(r"- path: (\S+)\s+pathType: (\w+)", text)


def ingress_routes(path: str) -> bool:
    return any(
        path == rule or (kind == "Prefix" and path.startswith(rule.rstrip("/") + "/"))
        for rule, kind in routed_paths()
    )


@pytest.mark.parametrize("path", ["/metrics", "/readyz", "/healthz"])
def test_probes_and_metrics_are_not_routed_from_outside(path: str) -> None:
    assert not ingress_routes(path)


@pytest.mark.parametrize(
    "path", ["/v1/me", "/v1/notifications/stream", "/docs", "/", "/app.js", "/messages.js"]
)
def test_the_api_the_docs_and_the_web_client_are(path: str) -> None:
    assert ingress_routes(path)
