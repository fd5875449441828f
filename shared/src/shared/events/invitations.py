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
    created_at: datetime
    expires_at: datetime


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


CancellationReason = Literal["post_deleted", "blocked", "account_deleted", "ineligible"]


class InvitationCancelled(_InvitationEvent):
    event_type = "invitation.cancelled"
    reason: CancellationReason
    cancelled_at: datetime
