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


# -- engagement (issue 12): likes and replies -------------------------------------------


class PostCounts(EventData):
    """A post's shared counters after a change, and their version: a consumer keeps the
    counts of the highest version it has seen, so duplicates and reordering cannot drift."""

    like_count: int
    reply_count: int
    version: int


class PostLiked(EventData):
    """A like started counting: new, or visible again (its liker unblocked by every author)."""

    event_type = "post.liked"
    post_id: str
    liker_id: str
    # The credited authors at the time: the recipients of the like's notification.
    author_ids: tuple[str, ...]
    # The version of this (post, liker) pair: the newest liked/unliked of a pair wins.
    like_seq: int
    counts: PostCounts
    liked_at: datetime


class PostUnliked(EventData):
    """A like stopped counting: unliked, hidden by a block, or its account deleted."""

    event_type = "post.unliked"
    post_id: str
    liker_id: str
    author_ids: tuple[str, ...]
    like_seq: int
    counts: PostCounts
    unliked_at: datetime


class PostReplied(EventData):
    event_type = "post.replied"
    post_id: str
    reply_id: str
    replier_id: str
    author_ids: tuple[str, ...]
    counts: PostCounts
    replied_at: datetime


class PostReplyRemoved(EventData):
    """A reply was deleted (by its author, or with its account): it counts no more."""

    event_type = "post.reply_removed"
    post_id: str
    reply_id: str
    replier_id: str
    counts: PostCounts
    removed_at: datetime
