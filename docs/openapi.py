"""Renders docs/openapi.json, the public API's OpenAPI document, and holds the rules it keeps.

The document is the one the gateway serves at /openapi.json, merged here in-process from each
service's app (no service runs): `.venv/bin/python docs/openapi.py` writes it. docs/tests
check that it is current, that it is a valid OpenAPI 3.1 document (openapi-spec-validator,
from PyPI: pure Python, nothing to install beyond the workspace) and that it keeps RULES:
what a generated client needs to type every answer (docs/api.md#the-openapi-document).
"""

import importlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gateway.app import create_app as create_gateway_app
from gateway.app import own_openapi
from gateway.domain import PUBLIC_API_PREFIX, PUBLIC_ENDPOINTS
from gateway.openapi import merge_openapi
from shared.openapi import OpenApiDocument, operations
from shared.problems import PROBLEM_MEDIA_TYPE
from shared.services import BACKENDS

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = REPO_ROOT / "docs" / "openapi.json"

OPERATION_ID = re.compile(r"^[a-z]+\.[a-z_]+$")
SCHEMAS_REF = "#/components/schemas/"
PROBLEM_SCHEMAS = {SCHEMAS_REF + "Problem", SCHEMAS_REF + "ValidationProblem"}
# Answered by the gateway in front of every operation (and 401 in front of protected ones).
ALWAYS_DECLARED = {"429", "502", "503", "504"}
RETRY_AFTER_ON = {"429", "503"}
# The operations whose answer a client reads first: their body schemas carry an example.
MAIN_OPERATIONS = {
    "users.register",
    "users.sign_in",
    "posts.create",
    "posts.get",
    "invitations.accept",
}

type Operation = tuple[str, str, dict[str, Any]]


def public_document() -> OpenApiDocument:
    """What the gateway serves at /openapi.json when every service answers."""
    services = {
        backend: importlib.import_module(f"{backend}.app").create_app().openapi()
        for backend in BACKENDS
    }
    return merge_openapi(own_openapi(create_gateway_app()), services)


def rendered(document: OpenApiDocument) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _schema(document: OpenApiDocument, schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith(SCHEMAS_REF):
        found: dict[str, Any] = document["components"]["schemas"][ref.removeprefix(SCHEMAS_REF)]
        return found
    return schema


def unique_short_operation_ids(document: OpenApiDocument, operation: Operation) -> Iterator[str]:
    operation_id = operation[2].get("operationId", "")
    if not OPERATION_ID.match(operation_id):
        yield f"operationId {operation_id!r} is not `tag.name`"
    elif [op[2].get("operationId") for op in operations(document)].count(operation_id) > 1:
        yield f"operationId {operation_id!r} is not unique"


def tags_declared(document: OpenApiDocument, operation: Operation) -> Iterator[str]:
    declared = {tag["name"] for tag in document.get("tags", [])}
    tags = operation[2].get("tags", [])
    if not tags or not set(tags) <= declared:
        yield f"tags {tags} are not among the document's tags {sorted(declared)}"


def refusals_are_problems(document: OpenApiDocument, operation: Operation) -> Iterator[str]:
    for status, response in operation[2]["responses"].items():
        if not status.isdigit() or int(status) < 400:
            continue
        content = response.get("content", {})
        schema = content.get(PROBLEM_MEDIA_TYPE, {}).get("schema", {}).get("$ref")
        if set(content) != {PROBLEM_MEDIA_TYPE} or schema not in PROBLEM_SCHEMAS:
            yield f"{status} is not documented as problem+json"
        elif (status == "422") != (schema == SCHEMAS_REF + "ValidationProblem"):
            yield f"{status} has {schema}: only 422 (and every 422) lists `errors`"


def gateway_answers_declared(document: OpenApiDocument, operation: Operation) -> Iterator[str]:
    method, path, details = operation
    responses = details["responses"]
    public = (method, path) in PUBLIC_ENDPOINTS
    expected = set(ALWAYS_DECLARED)
    if not public:
        expected.add("401")
    if "requestBody" in details:
        expected.add("413")
    if "requestBody" in details or details.get("parameters"):
        expected.add("422")
    if missing := expected - set(responses):
        yield f"does not declare {sorted(missing)}"
    for status in RETRY_AFTER_ON & set(responses):
        if "Retry-After" not in responses[status].get("headers", {}):
            yield f"{status} does not declare Retry-After"
    security = details.get("security")
    if security != ([] if public else [{"bearerAuth": []}]):
        yield f"security is {security}"


def bodies_have_examples(document: OpenApiDocument, operation: Operation) -> Iterator[str]:
    details = operation[2]
    body = details.get("requestBody")
    schemas = [] if body is None else [media["schema"] for media in body["content"].values()]
    if details.get("operationId") in MAIN_OPERATIONS:
        for status, response in details["responses"].items():
            if status.startswith("2"):
                schemas += [media["schema"] for media in response.get("content", {}).values()]
    for schema in schemas:
        if not _schema(document, schema).get("examples"):
            yield f"the body schema {schema} has no examples"


def optional_bodies_not_nullable(document: OpenApiDocument, operation: Operation) -> Iterator[str]:
    body = operation[2].get("requestBody")
    if body is not None and not body.get("required", False):
        for media in body["content"].values():
            if {"type": "null"} in media["schema"].get("anyOf", []):
                yield "an optional body is `model | null`: generated clients send their unset value"


RULES: tuple[Callable[[OpenApiDocument, Operation], Iterator[str]], ...] = (
    unique_short_operation_ids,
    tags_declared,
    refusals_are_problems,
    gateway_answers_declared,
    bodies_have_examples,
    optional_bodies_not_nullable,
)


def violations(document: OpenApiDocument) -> list[str]:
    """Every rule broken, as `METHOD path: what` (the public /v1 operations)."""
    found = [
        f"{operation[0]} {operation[1]}: {message}"
        for operation in operations(document)
        if operation[1].startswith(PUBLIC_API_PREFIX)
        for rule in RULES
        for message in rule(document, operation)
    ]
    if "HTTPValidationError" in json.dumps(document):
        found.append("FastAPI's HTTPValidationError is documented; the API answers problem+json")
    return found


def main() -> None:
    document = public_document()
    DOCUMENT.write_text(rendered(document))
    print(f"wrote {DOCUMENT.relative_to(REPO_ROOT)}")
    for violation in violations(document):
        print(f"rule broken: {violation}")


if __name__ == "__main__":
    main()
