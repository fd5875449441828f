"""Request and response bodies of co-authoring: inviting a co-author, and the invitation."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.public_user import PublicUser
from shared.request_body import RequestBody


class InviteCoauthorRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"handle": "grace"}]})

    handle: str = Field(max_length=100)


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
