"""What notifications are, pure: their types, what withdraws them, the reaction an event
causes (withdrawals first, then new notifications) and the id each notification is stored under.
"""

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID, uuid5

from shared.events.users import UserDeleted


class NotificationType(StrEnum):
    INVITATION_RECEIVED = "invitation.received"
    INVITATION_ACCEPTED = "invitation.accepted"
    INVITATION_DECLINED = "invitation.declined"
    INVITATION_EXPIRED = "invitation.expired"
    COAUTHOR_LEFT = "coauthor.left"
    COAUTHOR_REMOVED = "coauthor.removed"
    POST_PUBLISHED = "post.published"
    POST_DELETED = "post.deleted"
    FOLLOWER_NEW = "follower.new"
    # Remixes.
    REMIX_REQUESTED = "remix.requested"
    POST_REMIXED = "post.remixed"
    REMIX_APPROVED = "remix.approved"
    REMIX_REJECTED = "remix.rejected"
    REMIX_REVOKED = "remix.revoked"
    # Engagement.
    POST_LIKED = "post.liked"
    POST_REPLIED = "post.replied"
    # A remote account's boost: one per sharer, post and recipient, never withdrawn by its undo.
    POST_SHARED = "post.shared"
    # Edits.
    POST_EDIT_PROPOSED = "post.edit_proposed"
    POST_EDIT_APPLIED = "post.edit_applied"
    POST_EDIT_REJECTED = "post.edit_rejected"
    POST_EDIT_EXPIRED = "post.edit_expired"
    POST_EDITED = "post.edited"
    # Hand-overs.
    POST_HANDOVER_REQUESTED = "post.handover_requested"
    POST_HANDED_OVER = "post.handed_over"


# A notification's preview: the start of the post or reply it is about.
PREVIEW_LENGTH = 140


def preview_of(text: str | None) -> str | None:
    """At most PREVIEW_LENGTH characters of `text` (cut short with an ellipsis), or None."""
    if not text:
        return None
    if len(text) <= PREVIEW_LENGTH:
        return text
    return text[: PREVIEW_LENGTH - 1].rstrip() + "…"


class SubjectKind(StrEnum):
    POST = "post"
    INVITATION = "invitation"
    USER = "user"
    # A remix request (its subject id is the remix's post id): once answered or moot, the
    # "remix.requested" notifications of everyone who could have answered it go.
    REMIX_REQUEST = "remix_request"
    REPLY = "reply"


# "Your post was deleted" is the one notification that must outlive its post, and it stays
# (with a null actor) when the author's account is the reason the post went.
SURVIVES_ITS_SUBJECT = frozenset({NotificationType.POST_DELETED})


@dataclass(frozen=True, slots=True)
class NewNotification:
    recipient_id: str
    type: NotificationType
    actor_id: str | None
    post_id: str | None = None
    invitation_id: str | None = None
    # Notifications with the same key are one: the first is stored, the rest are dropped.
    collapse_key: str | None = None
    # post.replied: the reply, whose removal withdraws the notification (post_id is the parent).
    reply_id: str | None = None
    # The text the notification previews when the event carries it (a reply's); otherwise
    # the post's, as this service last heard it.
    preview_text: str | None = None

    def parties(self) -> tuple[str, ...]:
        """The users whose block (either way) silences this notification."""
        return (self.recipient_id, self.actor_id) if self.actor_id else (self.recipient_id,)


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """Every notification about this subject stops being listed and counted."""

    kind: SubjectKind
    subject_id: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject_id}"


@dataclass(frozen=True, slots=True)
class Reaction:
    """What one event does to the notifications: withdrawals first, then new notifications."""

    withdrawals: tuple[Withdrawal, ...] = ()
    notifications: tuple[NewNotification, ...] = ()


NO_REACTION = Reaction()

_NOTIFICATION_IDS = UUID("1b4e28ba-2fa1-41d2-883f-0016d3cca427")


def notification_id(event_id: UUID, notification: NewNotification) -> str:
    """Deterministic, so a redelivered event finds its notification already stored; from the
    collapse key when there is one, so the events it collapses find it stored too."""
    if notification.collapse_key is not None:
        return collapsed_id(notification.collapse_key)
    return uuid5(_NOTIFICATION_IDS, f"{event_id}:{notification.recipient_id}").hex


def collapsed_id(collapse_key: str) -> str:
    """The id of the one notification every event with this key comes down to."""
    return uuid5(_NOTIFICATION_IDS, collapse_key).hex


def withdrawals_that_cover(notification: NewNotification) -> list[Withdrawal]:
    """The withdrawals that would hide this notification, had they already happened."""
    covering = [Withdrawal(SubjectKind.USER, notification.recipient_id)]
    if notification.invitation_id:
        covering.append(Withdrawal(SubjectKind.INVITATION, notification.invitation_id))
    if notification.type is NotificationType.REMIX_REQUESTED and notification.post_id:
        covering.append(Withdrawal(SubjectKind.REMIX_REQUEST, notification.post_id))
    if notification.reply_id:
        covering.append(Withdrawal(SubjectKind.REPLY, notification.reply_id))
    if notification.type not in SURVIVES_ITS_SUBJECT:
        if notification.post_id:
            covering.append(Withdrawal(SubjectKind.POST, notification.post_id))
        if notification.actor_id:
            covering.append(Withdrawal(SubjectKind.USER, notification.actor_id))
    return covering


def notify(notification: NewNotification) -> Reaction:
    return Reaction(notifications=(notification,))


def user_deleted(data: UserDeleted) -> Reaction:
    """A deleted account's notifications go, both those it received and those it caused."""
    return Reaction(withdrawals=(Withdrawal(SubjectKind.USER, data.user_id),))
