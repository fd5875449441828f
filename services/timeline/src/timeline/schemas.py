"""Response bodies of the timeline API: the Post object of API.md, as timelines show it."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from shared.events.posts import PublishMode, RemixStatus
from shared.public_user import PublicUser


class CoauthorOut(BaseModel):
    user: PublicUser
    # Timelines carry published posts and their credited co-authors only.
    status: Literal["accepted"] = "accepted"


class PostOut(BaseModel):
    id: str
    text: str
    author: PublicUser
    coauthors: list[CoauthorOut]
    status: Literal["published"] = "published"
    publish_mode: PublishMode
    created_at: datetime
    published_at: datetime
    # Engagement (issue 12); timelines carry posts, never replies.
    like_count: int = 0
    reply_count: int = 0
    liked_by_me: bool = False
    reply_to: None = None

    # Remixes (issue 13).
    remix_count: int = 0
    remix_of: "RemixOfOut | None" = None


class RemixOfOut(BaseModel):
    """`post` is the original, shown only while the remix is approved."""

    post_id: str
    status: RemixStatus
    post: PostOut | None


PostOut.model_rebuild()


class AuthorInsightsOut(BaseModel):
    user: PublicUser
    audience: int
    exclusive_audience: int
    likes_from_audience: int
    new_followers: int


class InsightsOut(BaseModel):
    post_id: str
    reached: int
    likes: int
    replies: int
    remixes: int = 0
    authors: list[AuthorInsightsOut]
