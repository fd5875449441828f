"""A service's OpenAPI document says what it answers: problem+json refusals, short operation
ids, and optional bodies a generated client can leave out."""

from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from shared.openapi import install_truthful_openapi, operation_id, problems
from shared.pagination import PageCursor

router = APIRouter(prefix="/v1/things", tags=["things"])


class Note(BaseModel):
    text: str | None = None


@router.put("/{thing_id}", status_code=204, name="touch", responses=problems(404, 409))
async def touch(thing_id: str, note: Note | None = None) -> None:
    """An optional body, two refusals of its own, and FastAPI's 422 for its input."""


@router.get("", name="list")
async def list_things(cursor: PageCursor = None) -> list[str]:
    return []


def document() -> dict[str, Any]:
    app = FastAPI(generate_unique_id_function=operation_id)
    install_truthful_openapi(app)
    app.include_router(router)
    return app.openapi()


def test_operation_ids_are_the_tag_and_the_route_name() -> None:
    paths = document()["paths"]

    assert paths["/v1/things/{thing_id}"]["put"]["operationId"] == "things.touch"
    assert paths["/v1/things"]["get"]["operationId"] == "things.list"


def test_every_refusal_is_problem_json_and_a_422_lists_its_errors() -> None:
    responses = document()["paths"]["/v1/things/{thing_id}"]["put"]["responses"]

    schemas = {
        status: response["content"]["application/problem+json"]["schema"]["$ref"]
        for status, response in responses.items()
        if status != "204"
    }
    assert schemas == {
        "404": "#/components/schemas/Problem",
        "409": "#/components/schemas/Problem",
        "422": "#/components/schemas/ValidationProblem",
    }


def test_fastapi_validation_error_schemas_are_gone_and_the_problems_are_there() -> None:
    schemas = document()["components"]["schemas"]

    assert "HTTPValidationError" not in schemas
    assert {"Problem", "ValidationProblem", "ValidationIssue"} <= set(schemas)
    assert "errors" in schemas["ValidationProblem"]["required"]


def test_an_optional_body_is_its_model_not_model_or_null() -> None:
    body = document()["paths"]["/v1/things/{thing_id}"]["put"]["requestBody"]

    assert body.get("required", False) is False
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Note"}


def test_a_paged_list_declares_the_400_of_a_forged_cursor() -> None:
    responses = document()["paths"]["/v1/things"]["get"]["responses"]

    assert responses["400"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
