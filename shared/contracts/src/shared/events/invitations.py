"""Events published by the invitations service."""

from datetime import datetime
from typing import Literal

from shared.events.envelope import EventData


class _InvitationEvent(EventData):
    invitation_id: str
    post_id: str
    inviter_id: str
    invitee_id: str


class InvitationCreated(_InvitationEvent):
    event_type = "invitation.created"
    minor_version = 1  # 1.1: post_text
    created_at: datetime
    expires_at: datetime
    # The post's text when the invitation was made (what its notification previews).
    post_text: str = ""


class InvitationAccepted(_InvitationEvent):
    event_type = "invitation.accepted"
    responded_at: datetime


class InvitationDeclined(_InvitationEvent):
    event_type = "invitation.declined"
    responded_at: datetime


class InvitationRevoked(_InvitationEvent):
    event_type = "invitation.revoked"
    revoked_at: datetime


class InvitationExpired(_InvitationEvent):
    event_type = "invitation.expired"
    expired_at: datetime


# coauthor_removed: posts dropped a still-invited co-author for a reason other than a
# revocation or the invitee's own decline.
CancellationReason = Literal[
    "post_deleted", "blocked", "account_deleted", "ineligible", "coauthor_removed"
]


class InvitationCancelled(_InvitationEvent):
    event_type = "invitation.cancelled"
    reason: CancellationReason
    cancelled_at: datetime
