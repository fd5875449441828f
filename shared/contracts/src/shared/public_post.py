"""The Post object of the public API (API.md), as posts and timeline both return it."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from shared.events.posts import PublishMode, RemixStatus
from shared.public_user import PublicUser

type CoauthorStatus = Literal["invited", "accepted"]
type PostStatus = Literal["pending", "published"]


class CoauthorOut(BaseModel):
    user: PublicUser
    status: CoauthorStatus


class PostOut(BaseModel):
    id: str
    text: str
    author: PublicUser
    coauthors: list[CoauthorOut]
    status: PostStatus
    publish_mode: PublishMode
    created_at: datetime
    published_at: datetime | None
    # Engagement (issue 12): one count per post, shared by all its co-authors.
    like_count: int = 0
    reply_count: int = 0
    liked_by_me: bool = False
    reply_to: str | None = None

    # Remixes (issue 13).
    remix_count: int = 0
    remix_of: "RemixOfOut | None" = None


class RemixOfOut(BaseModel):
    """`post` is the original, shown only while the remix is approved."""

    post_id: str
    status: RemixStatus
    post: PostOut | None


PostOut.model_rebuild()
