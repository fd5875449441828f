"""The base of every request body model: unknown fields are refused (422), never ignored."""

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    """A client cannot slip in an id, a counter or a status, nor send a field it misspelt."""

    model_config = ConfigDict(extra="forbid")
