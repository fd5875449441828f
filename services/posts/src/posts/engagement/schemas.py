"""The request to reply to a post."""

from pydantic import Field

from shared.request_body import RequestBody


class ReplyRequest(RequestBody):
    text: str = Field(max_length=10_000)
