"""The insights response: what one post did for each of its credited authors."""

from pydantic import BaseModel

from shared.public_user import PublicUser


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
