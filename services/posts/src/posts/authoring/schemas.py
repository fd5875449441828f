"""The request to create a post (the Post answered is shared.public_post's)."""

from pydantic import ConfigDict, Field

from posts.coauthoring.schemas import InviteCoauthorRequest
from shared.events.posts import PublishMode
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
                },
                {
                    "text": "Her picture, my words.",
                    "coauthors": [{"handle": "grace", "credit": "photo"}],
                },
            ]
        }
    )

    text: str = Field(max_length=10_000)
    # Plain handles, or {handle, credit} to say what the co-author is credited for.
    coauthors: list[str | InviteCoauthorRequest] = Field(default_factory=list, max_length=100)
    publish_mode: PublishMode = "now"
    # The id of the post this one remixes.
    remix_of: str | None = Field(default=None, min_length=1, max_length=100)

    @property
    def coauthor_handles(self) -> list[str]:
        return [c if isinstance(c, str) else c.handle for c in self.coauthors]

    @property
    def coauthor_credits(self) -> list[str | None]:
        return [None if isinstance(c, str) else c.credit for c in self.coauthors]
