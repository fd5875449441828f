"""Request bodies of relations."""

from pydantic import ConfigDict, Field

from shared.request_body import RequestBody


class FollowRequest(RequestBody):
    """The optional body of a follow: the post it was made from (its insights count it)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"via_post": "6756f1d3b2c3d4e5f6071829"}]}
    )

    via_post: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
