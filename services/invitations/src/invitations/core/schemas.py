"""Request and response models of the invitations API."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from invitations.core.rules import InvitationStatus
from shared.pagination import Page
from shared.public_media import MediaOut
from shared.public_user import USER_EXAMPLE, PublicUser


class Box(StrEnum):
    """Which side of the invitations the caller lists: those it received or those it sent."""

    RECEIVED = "received"
    SENT = "sent"


class Invitation(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6756f1d3b2c3d4e5f607182a",
                    "post_id": "6756f1d3b2c3d4e5f6071829",
                    "inviter": USER_EXAMPLE,
                    "invitee": USER_EXAMPLE | {"id": "6756f0c2a1b2c3d4e5f60719", "handle": "grace"},
                    "status": "accepted",
                    "created_at": "2026-12-06T09:31:00Z",
                    "expires_at": "2026-12-13T09:31:00Z",
                    "responded_at": "2026-12-06T09:32:00Z",
                    "credit": "photo",
                    "post_text": "Written together.",
                    "post_media": [],
                }
            ]
        }
    )

    id: str
    post_id: str
    inviter: PublicUser
    invitee: PublicUser
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    # What the invitee is credited for ("photo"), or None.
    credit: str | None = None
    # The post's text as the invitation was made, so the invitee sees what it is asked to sign.
    post_text: str = ""
    # The post's media while the invitation is pending or accepted, with URLs its participants
    # may load (signed and short-lived while the post is not published); else empty.
    post_media: list[MediaOut] = Field(default_factory=list)


InvitationPage = Page[Invitation]
