"""A response body serialised once, by pydantic, from the model a route built."""

from fastapi import Response
from pydantic import BaseModel


class ModelResponse(Response):
    """The model's JSON: the bytes FastAPI would send for it, without validating it again.

    A route returning a model has FastAPI validate it against the response model, turn it
    into Python objects and encode those with `json`; returning this skips all three. Such
    a route declares its `response_model` in the decorator, so the OpenAPI document is the
    same.
    """

    media_type = "application/json"

    def __init__(self, model: BaseModel, status_code: int = 200) -> None:
        super().__init__(model.model_dump_json(by_alias=True), status_code=status_code)
