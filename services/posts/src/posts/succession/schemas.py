"""The requests to hand a post over and to choose what becomes of it when its author leaves."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.users import KeepCoauthoredPosts
from shared.public_user import PublicUser
from shared.request_body import RequestBody


class HandoverRequestBody(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"to": "grace"}]})

    # The handle of an accepted co-author.
    to: str = Field(min_length=1, max_length=30)


class KeepingRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"on_author_deletion": "hand_over"}]})

    # null: the author's account setting (`keep_coauthored_posts`) decides.
    on_author_deletion: KeepCoauthoredPosts | None


class HandoverOut(BaseModel):
    """The post's latest hand-over request, as its author and the co-author asked see it."""

    post_id: str
    to: PublicUser
    status: Literal["pending", "accepted", "declined", "cancelled"]
    created_at: datetime
    answered_at: datetime | None
