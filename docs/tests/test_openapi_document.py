"""The public OpenAPI document: current, a valid OpenAPI 3.1 document, and keeping its rules."""

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from shared.testing import load_script

openapi = load_script(Path(__file__).resolve().parents[1] / "openapi.py")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    built: dict[str, Any] = openapi.public_document()
    return built


def test_the_committed_document_is_the_one_the_gateway_serves(document: dict[str, Any]) -> None:
    committed = openapi.DOCUMENT.read_text()

    assert committed == openapi.rendered(document), "run .venv/bin/python docs/openapi.py"


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(json.loads(openapi.rendered(document)))


def test_the_document_keeps_every_rule(document: dict[str, Any]) -> None:
    assert openapi.violations(document) == []


def test_a_rule_broken_is_reported(document: dict[str, Any]) -> None:
    broken = json.loads(openapi.rendered(document))
    operation = broken["paths"]["/v1/posts"]["post"]
    operation["operationId"] = "create_post_v1_posts_post"
    del operation["responses"]["429"]

    assert openapi.violations(broken) == [
        "POST /v1/posts: operationId 'create_post_v1_posts_post' is not `tag.name`",
        "POST /v1/posts: does not declare ['429']",
    ]
