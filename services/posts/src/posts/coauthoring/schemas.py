"""Request and response bodies of co-authoring: inviting a co-author, and the invitation."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.public_user import PublicUser
from shared.request_body import RequestBody


class InviteCoauthorRequest(RequestBody):
    """An account to invite, and optionally what it is credited for (1 to 30 visible
    characters, shown beside its name once it accepts: "Photo: @grace")."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"handle": "grace"}, {"handle": "grace", "credit": "photo"}]
        }
    )

    handle: str = Field(max_length=100)
    credit: str | None = Field(default=None, max_length=200)


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
    credit: str | None = None
    post_text: str
    # The post's media; always empty until posts carry media.
    post_media: list[dict[str, Any]] = Field(default_factory=list)
