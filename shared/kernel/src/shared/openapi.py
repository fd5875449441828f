"""What every service's OpenAPI document says about refusals, operation ids and optional bodies.

A route declares the refusals of its own use case (`responses=problems(403, 404)`) and its
short name (`name="create"`, so its operation id is `posts.create`); `describe_truthfully`
then makes the document say what the service really answers: problem+json (RFC 9457) for
every refusal, with the `errors` list on 422, where FastAPI would document its own
`HTTPValidationError`. The gateway adds the refusals it answers itself (gateway.openapi).
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

from shared.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, problem_title

type OpenApiDocument = dict[str, Any]

SCHEMAS_REF = "#/components/schemas/"
# The query parameter of every list (shared.pagination.PageCursor): a forged one is a 400.
PAGE_CURSOR = "cursor"
# FastAPI's own validation error schemas, which no CoPost service ever answers.
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


class Problem(BaseModel):
    """An RFC 9457 problem: what every refusal of the API looks like."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_TYPE_BASE + "not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "There is no such post.",
                }
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str


class ValidationIssue(BaseModel):
    """Where the request is wrong (`loc`, e.g. `["body", "handle"]`) and what is wrong."""

    loc: list[str]
    msg: str
    type: str


class ValidationProblem(Problem):
    """A 422: the problem, and each thing wrong with the request that can be pointed at (an
    empty list when it is the request as a whole, e.g. following oneself)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_TYPE_BASE + "validation-error",
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": "The request is not valid.",
                    "errors": [
                        {
                            "loc": ["body", "handle"],
                            "msg": "String should match pattern '^[a-z0-9_]{3,30}$'",
                            "type": "string_pattern_mismatch",
                        }
                    ],
                }
            ]
        }
    )

    errors: list[ValidationIssue]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=`: the refusals its use case may answer (not 422: that is derived)."""
    return {status: {"model": Problem, "description": problem_title(status)} for status in statuses}


def operation_id(route: APIRoute) -> str:
    """`posts.create`: the route's most specific tag, then its name (`name=` in the decorator)."""
    return f"{route.tags[-1]}.{route.name}" if route.tags else route.name


def problem_schemas() -> dict[str, Any]:
    """The components/schemas entries of the problem models."""
    schemas: dict[str, Any] = {}
    for model in (Problem, ValidationIssue, ValidationProblem):
        schema = model.model_json_schema(ref_template=SCHEMAS_REF + "{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def problem_response(status: int, schema: str = "Problem") -> dict[str, Any]:
    return {
        "description": problem_title(status),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": SCHEMAS_REF + schema}}},
    }


def operations(document: OpenApiDocument) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) of every operation in the document."""
    return [
        (method.upper(), path, operation)
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    ]


def describe_truthfully(document: OpenApiDocument) -> OpenApiDocument:
    """Problem+json for every refusal, the problem models in the components, and optional
    bodies as their model (not `model | null`, which generated clients send as a value)."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(problem_schemas())
    for _, _, operation in operations(document):
        responses: dict[str, Any] = operation.get("responses", {})
        if any(parameter["name"] == PAGE_CURSOR for parameter in operation.get("parameters", ())):
            responses.setdefault("400", {})  # a cursor this API did not hand out
        for status in list(responses):
            if status.isdigit() and int(status) >= 400:
                responses[status] = problem_response(
                    int(status), "ValidationProblem" if status == "422" else "Problem"
                )
        body = operation.get("requestBody")
        if body is not None and not body.get("required", False):
            for media in body.get("content", {}).values():
                media["schema"] = _not_nullable(media.get("schema", {}))
    return document


def install_truthful_openapi(app: FastAPI) -> None:
    """Serve `describe_truthfully` of the app's document, built once, as FastAPI would."""

    def openapi() -> OpenApiDocument:
        if app.openapi_schema is None:
            app.openapi_schema = describe_truthfully(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it


def _not_nullable(schema: dict[str, Any]) -> dict[str, Any]:
    variants = [variant for variant in schema.get("anyOf", ()) if variant != {"type": "null"}]
    return variants[0] if len(variants) == 1 and "anyOf" in schema else schema


__all__ = [
    "Problem",
    "ValidationIssue",
    "ValidationProblem",
    "describe_truthfully",
    "install_truthful_openapi",
    "operation_id",
    "operations",
    "problem_response",
    "problem_schemas",
    "problems",
]
