"""Request and response models of the notifications API."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from notifications.core.rules import NotificationType
from shared.public_user import PublicUser
from shared.request_body import RequestBody

MAX_IDS_PER_REQUEST = 100

NotificationId = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class Notification(BaseModel):
    id: str
    type: NotificationType
    # null when the actor's account is gone (or not yet known here).
    actor: PublicUser | None
    post_id: str | None
    invitation_id: str | None
    created_at: datetime
    read: bool
    # post.liked: the likers since the recipient last read it; post.replied: the replies.
    count: int | None = None
    # Up to 140 characters of the post or reply it is about, as they were when it was made.
    preview: str | None = None


class NotificationPage(BaseModel):
    items: list[Notification]
    next_cursor: str | None
    unread_count: int


class MarkRead(RequestBody):
    """Either some of the caller's notifications by id, or all of them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"all": True}]})

    ids: list[NotificationId] | None = Field(default=None, max_length=MAX_IDS_PER_REQUEST)
    all: bool = False

    @model_validator(mode="after")
    def _names_what_to_mark(self) -> Self:
        if not self.all and not self.ids:
            raise ValueError("give `ids` (1 to 100 notification ids) or `all: true`")
        return self


class UnreadCount(BaseModel):
    unread_count: int
