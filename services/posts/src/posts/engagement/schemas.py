"""The request to reply to a post."""

from pydantic import ConfigDict, Field

from shared.public_media import MAX_MEDIA_PER_POST
from shared.request_body import RequestBody


class ReplyRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Well said."}]})

    text: str = Field(max_length=10_000)
    # The caller's own uploads, in the order shown; text may then be empty.
    media_ids: list[str] = Field(default_factory=list, max_length=MAX_MEDIA_PER_POST)
