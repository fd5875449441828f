"""Request and response models of the invitations API."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from invitations.core.rules import InvitationStatus
from shared.pagination import Page
from shared.public_user import PublicUser


class Box(StrEnum):
    """Which side of the invitations the caller lists: those it received or those it sent."""

    RECEIVED = "received"
    SENT = "sent"


class Invitation(BaseModel):
    id: str
    post_id: str
    inviter: PublicUser
    invitee: PublicUser
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    responded_at: datetime | None


InvitationPage = Page[Invitation]
