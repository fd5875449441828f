"""JSON response bodies serialised once: by pydantic from the model a route built, or by the
route itself."""

from fastapi import Response
from pydantic import BaseModel


class JsonBytesResponse(Response):
    """JSON the route made itself (e.g. joined from parts rendered earlier), sent as is."""

    media_type = "application/json"


class ModelResponse(JsonBytesResponse):
    """The model's JSON: the bytes FastAPI would send for it, without validating it again.

    A route returning a model has FastAPI validate it against the response model, turn it
    into Python objects and encode those with `json`; returning this skips all three. Such
    a route declares its `response_model` in the decorator, so the OpenAPI document is the
    same.
    """

    def __init__(self, model: BaseModel, status_code: int = 200) -> None:
        super().__init__(model.model_dump_json(by_alias=True), status_code=status_code)
