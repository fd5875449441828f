"""The request to reply to a post."""

from pydantic import ConfigDict, Field

from shared.request_body import RequestBody


class ReplyRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Well said."}]})

    text: str = Field(max_length=10_000)
