"""The request to create a post (the Post answered is shared.public_post's)."""

from pydantic import ConfigDict, Field

from shared.events.posts import PublishMode
from shared.public_media import MAX_MEDIA_PER_POST
from shared.request_body import RequestBody


class CreatePostRequest(RequestBody):
    """Only what a client may choose; author, status and times are never taken from it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "Written together.",
                    "coauthors": ["grace"],
                    "publish_mode": "when_accepted",
                }
            ]
        }
    )

    text: str = Field(max_length=10_000)
    coauthors: list[str] = Field(default_factory=list, max_length=100)
    publish_mode: PublishMode = "now"
    # The id of the post this one remixes.
    remix_of: str | None = Field(default=None, min_length=1, max_length=100)
    # The caller's own uploads (POST /v1/media), in the order shown; text may then be empty.
    media_ids: list[str] = Field(default_factory=list, max_length=MAX_MEDIA_PER_POST)
