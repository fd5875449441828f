"""Request and response bodies of the posts API."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.events.posts import PublishMode, RemixStatus
from shared.public_post import PostOut
from shared.public_user import PublicUser
from shared.request_body import RequestBody


class CreatePostRequest(RequestBody):
    """Only what a client may choose; author, status and times are never taken from it."""

    text: str = Field(max_length=10_000)
    coauthors: list[str] = Field(default_factory=list, max_length=100)
    publish_mode: PublishMode = "now"
    # The id of the post this one remixes (issue 13).
    remix_of: str | None = Field(default=None, min_length=1, max_length=100)


class InviteCoauthorRequest(RequestBody):
    handle: str = Field(max_length=100)


class RemixRequestOut(BaseModel):
    id: str
    remix: PostOut
    original: PostOut | None
    status: RemixStatus
    created_at: datetime


class InvitationOut(BaseModel):
    """The invitation as posts knows it when inviting; the invitations service owns it after."""

    id: str
    post_id: str
    inviter: PublicUser
    invitee: PublicUser
    status: Literal["pending"] = "pending"
    created_at: datetime
    expires_at: datetime
    responded_at: datetime | None = None


class ReplyRequest(RequestBody):
    text: str = Field(max_length=10_000)
