"""Events published by the posts service."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.events.envelope import EventData
from shared.public_media import AttachedMedia

PublishMode = Literal["now", "when_accepted"]
# Where a remix stands with its original: only `approved` shows the original.
RemixStatus = Literal["pending", "approved", "rejected", "revoked", "removed"]


class InvitedCoauthor(EventData):
    invitation_id: str
    invitee_id: str
    # What the invitee is credited for ("photo"), shown beside its name once it accepts.
    credit: str | None = None


class PostCreated(EventData):
    event_type = "post.created"
    # 1.1: remix_of_post_id; 1.2: invitations[].credit; 1.3: media; 1.4: media[].alt_text_version
    minor_version = 4
    post_id: str
    author_id: str
    text: str
    publish_mode: PublishMode
    created_at: datetime
    invitations: tuple[InvitedCoauthor, ...] = ()
    # The post this one remixes (its status travels in post.remix_* events).
    remix_of_post_id: str | None = None
    # The pictures (or video) it carries, in the order shown.
    media: tuple[AttachedMedia, ...] = ()


class PostPublished(EventData):
    event_type = "post.published"
    # 1.1: remix_of_post_id, remix_status; 1.2: coauthor_credits; 1.3: media;
    # 1.4: media[].alt_text_version
    minor_version = 4
    post_id: str
    author_id: str
    text: str
    coauthor_ids: tuple[str, ...]
    created_at: datetime
    published_at: datetime
    # when_accepted posts notify their co-authors when they finally go out.
    publish_mode: PublishMode = "now"
    # A remix: its original and where it stood with it when published.
    remix_of_post_id: str | None = None
    remix_status: RemixStatus | None = None
    # The credit of each co-author in `coauthor_ids` that has one, by co-author id.
    coauthor_credits: dict[str, str] = Field(default_factory=dict)
    # The pictures (or video) it carries, in the order shown: cards render them as they are.
    media: tuple[AttachedMedia, ...] = ()


class PostCoauthorInvited(EventData):
    """An invitation added to an existing post (creation carries its own in post.created)."""

    event_type = "post.coauthor_invited"
    minor_version = 2  # 1.1: credit, post_text; 1.2: post_media_ids
    post_id: str
    author_id: str
    invitation_id: str
    invitee_id: str
    invited_at: datetime
    credit: str | None = None
    # The post's text when the invitation was made, so the invitation can show it.
    post_text: str = ""
    # The post's media, in the order shown, so the invitation can show them too.
    post_media_ids: tuple[str, ...] = ()


class PostCoauthorInvitationRefused(EventData):
    """A remote author's invitation of a local account that the invitee's rules (collab
    policy, a block) or the post's limits refuse: never opened here, so its author's server is
    answered as if the invitee declined. Says no more of why than a local 403 would."""

    event_type = "post.coauthor_invitation_refused"
    post_id: str
    author_id: str
    invitation_id: str
    invitee_id: str
    refused_at: datetime


class PostCoauthorAdded(EventData):
    event_type = "post.coauthor_added"
    minor_version = 1  # 1.1: credit
    post_id: str
    author_id: str
    coauthor_id: str
    invitation_id: str
    added_at: datetime
    credit: str | None = None


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


# -- what a consumer keeps of a post from these events ------------------------------

# `unknown`: an event about the post came before its post.published; `deleted` is final, no
# later event revives it.
KnownPostStatus = Literal["unknown", "published", "deleted"]


@dataclass(frozen=True, slots=True)
class Credit:
    """The newest word on one co-author of a post: credited (accepted) or not (left,
    removed...), and when it was said, as post.published and post.coauthor_* tell it."""

    coauthor_id: str
    credited: bool
    as_of: datetime
    # What the co-author is credited for ("photo"), as the invitation said.
    label: str | None = None

    def is_newer_than(self, known: "Credit") -> bool:
        """Whether this word replaces the known one, so a late or repeated event changes
        nothing; at the same instant a removal wins: crediting twice at one time is not a thing."""
        if self.as_of != known.as_of:
            return self.as_of > known.as_of
        return known.credited and not self.credited


# -- remixes ----------------------------------------------------------------------


class RemixEvent(EventData):
    """Where a remix now stands with its original; one event type per transition.

    `at` orders nothing: statuses only move forward (pending -> approved | rejected | removed,
    approved -> revoked | removed), so a consumer keeps the furthest one it has seen.
    """

    remix_id: str
    remix_author_id: str
    original_id: str
    original_author_id: str
    status: RemixStatus
    # The remix request, when the original's author asks for manual approval.
    request_id: str | None = None
    # Who answered or revoked; None when the rules decided (automatic approval, removal).
    actor_id: str | None = None
    at: datetime


class PostRemixRequested(RemixEvent):
    """A remix waits for the approval of one of `answerer_ids` (the original's authors)."""

    event_type = "post.remix_requested"
    answerer_ids: tuple[str, ...] = ()


class PostRemixApproved(RemixEvent):
    """The remix shows its original from now on; `automatic` when the policy admitted it."""

    event_type = "post.remix_approved"
    automatic: bool = False
    # The original's credited authors, told of the remix when nobody had to approve it.
    original_author_ids: tuple[str, ...] = ()


class PostRemixRejected(RemixEvent):
    event_type = "post.remix_rejected"


class PostRemixRevoked(RemixEvent):
    event_type = "post.remix_revoked"


class PostRemixRemoved(RemixEvent):
    """The original was deleted: the remix stays, showing no original."""

    event_type = "post.remix_removed"


REMIX_EVENTS: tuple[type[RemixEvent], ...] = (
    PostRemixRequested,
    PostRemixApproved,
    PostRemixRejected,
    PostRemixRevoked,
    PostRemixRemoved,
)

# -- engagement: likes and replies -------------------------------------------


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
    minor_version = 1  # 1.1: reply_text
    post_id: str
    reply_id: str
    replier_id: str
    author_ids: tuple[str, ...]
    counts: PostCounts
    replied_at: datetime
    # The reply's text, so its notification can preview it.
    reply_text: str = ""


class PostReplyRemoved(EventData):
    """A reply was deleted (by its author, or with its account): it counts no more."""

    event_type = "post.reply_removed"
    post_id: str
    reply_id: str
    replier_id: str
    counts: PostCounts
    removed_at: datetime


class PostShared(EventData):
    """An account shared the post with its followers elsewhere: a remote account's Announce
    (boost), which no credited author blocks. Not counted on the post; it notifies."""

    event_type = "post.shared"
    post_id: str
    sharer_id: str
    author_ids: tuple[str, ...]
    shared_at: datetime


# -- edits ----------------------------------------------------------------------

EditStatus = Literal["pending", "applied", "rejected", "expired", "withdrawn"]


class PostEditProposed(EventData):
    """An edit waits for the approval of each of `approver_ids` (the post's other credited
    authors when it was proposed) until `expires_at`."""

    event_type = "post.edit_proposed"
    post_id: str
    edit_id: str
    proposer_id: str
    approver_ids: tuple[str, ...]
    text: str
    proposed_at: datetime
    expires_at: datetime


class PostEditEnded(EventData):
    """A proposal ended without applying: rejected (by `actor_id`), expired or withdrawn.
    `author_ids`: the post's credited authors then, who are told; `released_media_ids`: the
    uploads it had reserved, free again."""

    event_type = "post.edit_ended"
    post_id: str
    edit_id: str
    proposer_id: str
    status: EditStatus
    actor_id: str | None = None
    author_ids: tuple[str, ...]
    ended_at: datetime
    released_media_ids: tuple[str, ...] = ()


class PostEdited(EventData):
    """An edit applied: the post's content as of `version` (1 at creation, one more per edit).
    A consumer keeps the content of the highest version it has seen, so duplicates and
    reordering cannot bring back an older text."""

    event_type = "post.edited"
    post_id: str
    edit_id: str
    proposer_id: str
    author_id: str
    coauthor_ids: tuple[str, ...]
    text: str
    media: tuple[AttachedMedia, ...] = ()
    version: int
    edited_at: datetime
    # Media the edit took off the post: deleted, as a deleted post's are.
    removed_media_ids: tuple[str, ...] = ()


# -- hand-overs -------------------------------------------------------------------

HandoverReason = Literal["accepted", "account_deleted"]


class PostHandoverRequested(EventData):
    """The author asks an accepted co-author to take the post over."""

    event_type = "post.handover_requested"
    post_id: str
    request_id: str
    author_id: str
    to_user_id: str
    requested_at: datetime


class PostHandedOver(EventData):
    """`to_author_id` (an accepted co-author until now) is the post's author from now on;
    credits, likes, replies and remixes stay. `coauthor_ids`: the credited co-authors left."""

    event_type = "post.handed_over"
    post_id: str
    from_author_id: str
    to_author_id: str
    coauthor_ids: tuple[str, ...]
    reason: HandoverReason
    handed_over_at: datetime
