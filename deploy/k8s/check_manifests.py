"""Checks the Kubernetes manifests without a cluster: YAML syntax, kinds, and kustomize wiring.

Every resource a kustomization lists must exist and parse; every document needs apiVersion,
kind and metadata.name; each JSON patch of an overlay must point at a path the target has.
Run: make k8s-check (needs PyYAML; the Makefile provides it through uv).
"""

import sys
from pathlib import Path
from typing import Any

import yaml

K8S_DIR = Path(__file__).resolve().parent


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def check_resource_file(path: Path) -> list[str]:
    problems = []
    for doc in load_documents(path):
        name = (doc.get("metadata") or {}).get("name")
        if not (doc.get("apiVersion") and doc.get("kind") and name):
            problems.append(f"{path}: a document lacks apiVersion, kind or metadata.name")
    return problems


def resolve(document: Any, pointer: str, operation: str) -> bool:
    """Whether a JSON patch operation can apply: `add` needs the parent, others the path."""
    parts = pointer.strip("/").split("/")
    node = document
    for part in parts[:-1] if operation == "add" else parts:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True


def collect_resources(kustomization_dir: Path) -> list[dict[str, Any]]:
    kustomization = load_documents(kustomization_dir / "kustomization.yaml")[0]
    documents: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        target = kustomization_dir / entry
        if target.is_dir():
            documents += collect_resources(target)
        elif target.exists():
            documents += load_documents(target)
    return documents


def check_kustomization(kustomization_dir: Path) -> list[str]:
    file = kustomization_dir / "kustomization.yaml"
    kustomization = load_documents(file)[0]
    problems = []
    for entry in kustomization.get("resources", []):
        target = kustomization_dir / entry
        if target.is_dir():
            if not (target / "kustomization.yaml").exists():
                problems.append(f"{file}: {entry} has no kustomization.yaml")
        elif not target.exists():
            problems.append(f"{file}: resource {entry} does not exist")
        else:
            problems += check_resource_file(target)
    resources = collect_resources(kustomization_dir)
    for patch in kustomization.get("patches", []):
        selector = patch["target"]
        targets = [
            doc
            for doc in resources
            if doc["kind"] == selector["kind"] and doc["metadata"]["name"] == selector["name"]
        ]
        if not targets:
            problems.append(f"{file}: no {selector['kind']} named {selector['name']} to patch")
            continue
        for operation in yaml.safe_load(patch["patch"]):
            if not resolve(targets[0], operation["path"], operation["op"]):
                problems.append(f"{file}: patch path {operation['path']} not in {selector}")
    return problems


def main() -> int:
    problems = []
    kustomizations = sorted(K8S_DIR.rglob("kustomization.yaml"))
    for kustomization in kustomizations:
        problems += check_kustomization(kustomization.parent)
    for problem in problems:
        print(problem, file=sys.stderr)
    manifests = len(list(K8S_DIR.rglob("*.yaml")))
    print(
        f"checked {manifests} manifests in {len(kustomizations)} kustomizations: "
        f"{len(problems)} problems"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
