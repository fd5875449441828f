"""Events published by the posts service."""

from datetime import datetime
from typing import Literal

from shared.events.envelope import EventData

PublishMode = Literal["now", "when_accepted"]


class InvitedCoauthor(EventData):
    invitation_id: str
    invitee_id: str


class PostCreated(EventData):
    event_type = "post.created"
    post_id: str
    author_id: str
    text: str
    publish_mode: PublishMode
    created_at: datetime
    invitations: tuple[InvitedCoauthor, ...] = ()


class PostPublished(EventData):
    event_type = "post.published"
    post_id: str
    author_id: str
    text: str
    coauthor_ids: tuple[str, ...]
    created_at: datetime
    published_at: datetime
    # when_accepted posts notify their co-authors when they finally go out.
    publish_mode: PublishMode = "now"


class PostCoauthorInvited(EventData):
    """An invitation added to an existing post (creation carries its own in post.created)."""

    event_type = "post.coauthor_invited"
    post_id: str
    author_id: str
    invitation_id: str
    invitee_id: str
    invited_at: datetime


class PostCoauthorAdded(EventData):
    event_type = "post.coauthor_added"
    post_id: str
    author_id: str
    coauthor_id: str
    invitation_id: str
    added_at: datetime


CoauthorRemovalReason = Literal[
    "left", "removed", "revoked", "declined", "blocked", "account_deleted"
]


class PostCoauthorRemoved(EventData):
    event_type = "post.coauthor_removed"
    post_id: str
    author_id: str
    coauthor_id: str
    reason: CoauthorRemovalReason
    removed_at: datetime
    # False when the entry was still an invitation (revoked, declined): no credit to take back.
    was_credited: bool = True
    # The invitation of the removed entry, so consumers close exactly that one; None from
    # producers that predate the field (consumers then fall back to (post, co-author)).
    invitation_id: str | None = None


class PostDeleted(EventData):
    event_type = "post.deleted"
    post_id: str
    author_id: str
    coauthor_ids: tuple[str, ...]
    deleted_at: datetime
