"""The remix request, as the original's authors list and answer it."""

from datetime import datetime

from pydantic import BaseModel

from shared.events.posts import RemixStatus
from shared.public_post import PostOut


class RemixRequestOut(BaseModel):
    id: str
    remix: PostOut
    original: PostOut | None
    status: RemixStatus
    created_at: datetime
