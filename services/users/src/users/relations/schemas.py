"""Request bodies of relations."""

from pydantic import Field

from shared.request_body import RequestBody


class FollowRequest(RequestBody):
    """The optional body of a follow: the post it was made from (its insights count it)."""

    via_post: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
