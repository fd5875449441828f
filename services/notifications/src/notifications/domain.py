"""The notification rules: which event notifies whom, what withdraws what, stream ordering.

Pure functions and values only; the handlers apply these decisions to the database.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from shared.events import EventData
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationCreated,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.posts import (
    PostCoauthorRemoved,
    PostDeleted,
    PostPublished,
    PostRemixApproved,
    PostRemixRejected,
    PostRemixRemoved,
    PostRemixRequested,
    PostRemixRevoked,
    PostReplied,
    PostReplyRemoved,
    RemixEvent,
)
from shared.events.users import UserDeleted, UserFollowed
from shared.problems import BadRequest, TooManyRequests


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
    # Remixes (issue 13).
    REMIX_REQUESTED = "remix.requested"
    POST_REMIXED = "post.remixed"
    REMIX_APPROVED = "remix.approved"
    REMIX_REJECTED = "remix.rejected"
    REMIX_REVOKED = "remix.revoked"
    # issue 12
    POST_LIKED = "post.liked"
    POST_REPLIED = "post.replied"


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

# At most one "new follower" notification per follower and followee in this window.
FOLLOWER_NOTIFICATION_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
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

    def parties(self) -> tuple[str, ...]:
        """The users whose block (either way) silences this notification."""
        return (self.recipient_id, self.actor_id) if self.actor_id else (self.recipient_id,)


@dataclass(frozen=True)
class Withdrawal:
    """Every notification about this subject stops being listed and counted."""

    kind: SubjectKind
    subject_id: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject_id}"


@dataclass(frozen=True)
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
        return uuid5(_NOTIFICATION_IDS, notification.collapse_key).hex
    return uuid5(_NOTIFICATION_IDS, f"{event_id}:{notification.recipient_id}").hex


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


# -- event -> reaction --------------------------------------------------------------------


def _invitation_received(data: InvitationCreated) -> Reaction:
    return _notify(
        NewNotification(
            recipient_id=data.invitee_id,
            type=NotificationType.INVITATION_RECEIVED,
            actor_id=data.inviter_id,
            post_id=data.post_id,
            invitation_id=data.invitation_id,
        )
    )


def _invitation_answered(notification_type: NotificationType) -> Callable[[Any], Reaction]:
    def react(data: InvitationAccepted | InvitationDeclined | InvitationExpired) -> Reaction:
        return _notify(
            NewNotification(
                recipient_id=data.inviter_id,
                type=notification_type,
                actor_id=data.invitee_id,
                post_id=data.post_id,
                invitation_id=data.invitation_id,
            )
        )

    return react


def _invitation_withdrawn(data: InvitationCancelled | InvitationRevoked) -> Reaction:
    # A revoked invitation can no longer be answered either: its "received" goes too.
    return Reaction(withdrawals=(Withdrawal(SubjectKind.INVITATION, data.invitation_id),))


def _coauthor_removed(data: PostCoauthorRemoved) -> Reaction:
    if data.reason == "left":
        return _notify(
            NewNotification(
                recipient_id=data.author_id,
                type=NotificationType.COAUTHOR_LEFT,
                actor_id=data.coauthor_id,
                post_id=data.post_id,
            )
        )
    if data.reason == "removed":
        return _notify(
            NewNotification(
                recipient_id=data.coauthor_id,
                type=NotificationType.COAUTHOR_REMOVED,
                actor_id=data.author_id,
                post_id=data.post_id,
            )
        )
    # revoked / declined / blocked / account_deleted: nobody acted toward the other
    # (or the invitation events already tell), so there is nothing to say.
    return NO_REACTION


def _post_published(data: PostPublished) -> Reaction:
    # A post published at once has nothing new to tell its invitees; a pending one does.
    if data.publish_mode != "when_accepted":
        return NO_REACTION
    return Reaction(
        notifications=_to_coauthors(data.coauthor_ids, data, NotificationType.POST_PUBLISHED)
    )


def _post_deleted(data: PostDeleted) -> Reaction:
    return Reaction(
        withdrawals=(Withdrawal(SubjectKind.POST, data.post_id),),
        notifications=_to_coauthors(data.coauthor_ids, data, NotificationType.POST_DELETED),
    )


def _follower_new(data: UserFollowed) -> Reaction:
    # Follow, unfollow, follow again...: one "new follower" per follower and day, however
    # often an account toggles its follow to push notifications at someone.
    day = int(data.followed_at.timestamp() // FOLLOWER_NOTIFICATION_WINDOW.total_seconds())
    return _notify(
        NewNotification(
            recipient_id=data.followee_id,
            type=NotificationType.FOLLOWER_NEW,
            actor_id=data.follower_id,
            collapse_key=f"{NotificationType.FOLLOWER_NEW}:{data.followee_id}:{data.follower_id}:{day}",
        )
    )


def _user_deleted(data: UserDeleted) -> Reaction:
    return Reaction(withdrawals=(Withdrawal(SubjectKind.USER, data.user_id),))


# -- remixes (issue 13): every notification's post is the remix ------------------------------


def _remix_notification(
    recipient_id: str, kind: NotificationType, actor_id: str | None, data: RemixEvent
) -> NewNotification:
    return NewNotification(
        recipient_id=recipient_id, type=kind, actor_id=actor_id, post_id=data.remix_id
    )


def _remix_requested(data: PostRemixRequested) -> Reaction:
    kind = NotificationType.REMIX_REQUESTED
    return Reaction(
        notifications=tuple(
            _remix_notification(answerer, kind, data.remix_author_id, data)
            for answerer in dict.fromkeys(data.answerer_ids)
        )
    )


def _remix_approved(data: PostRemixApproved) -> Reaction:
    if data.automatic:
        kind = NotificationType.POST_REMIXED
        return Reaction(
            notifications=tuple(
                _remix_notification(author, kind, data.remix_author_id, data)
                for author in dict.fromkeys(data.original_author_ids)
            )
        )
    return _remix_answered(NotificationType.REMIX_APPROVED)(data)


def _remix_answered(kind: NotificationType) -> Callable[[Any], Reaction]:
    """The remixer hears the answer; nobody else needs to answer any more."""

    def react(data: PostRemixApproved | PostRemixRejected | PostRemixRevoked) -> Reaction:
        return Reaction(
            withdrawals=(Withdrawal(SubjectKind.REMIX_REQUEST, data.remix_id),),
            notifications=(_remix_notification(data.remix_author_id, kind, data.actor_id, data),),
        )

    return react


def _remix_removed(data: PostRemixRemoved) -> Reaction:
    return Reaction(withdrawals=(Withdrawal(SubjectKind.REMIX_REQUEST, data.remix_id),))


def _to_coauthors(
    coauthor_ids: Sequence[str],
    data: PostPublished | PostDeleted,
    notification_type: NotificationType,
) -> tuple[NewNotification, ...]:
    return tuple(
        NewNotification(
            recipient_id=coauthor_id,
            type=notification_type,
            actor_id=data.author_id,
            post_id=data.post_id,
        )
        for coauthor_id in dict.fromkeys(coauthor_ids)
    )


def _post_replied(data: PostReplied) -> Reaction:
    """Every credited author hears of a reply once, however often the event comes."""
    return Reaction(
        notifications=tuple(
            NewNotification(
                recipient_id=author_id,
                type=NotificationType.POST_REPLIED,
                actor_id=data.replier_id,
                post_id=data.post_id,
                reply_id=data.reply_id,
                collapse_key=f"{NotificationType.POST_REPLIED}:{data.reply_id}:{author_id}",
            )
            for author_id in dict.fromkeys(data.author_ids)
        )
    )


def _reply_removed(data: PostReplyRemoved) -> Reaction:
    return Reaction(withdrawals=(Withdrawal(SubjectKind.REPLY, data.reply_id),))


def _notify(notification: NewNotification) -> Reaction:
    return Reaction(notifications=(notification,))


REACTIONS: dict[type[EventData], Callable[[Any], Reaction]] = {
    InvitationCreated: _invitation_received,
    InvitationAccepted: _invitation_answered(NotificationType.INVITATION_ACCEPTED),
    InvitationDeclined: _invitation_answered(NotificationType.INVITATION_DECLINED),
    InvitationExpired: _invitation_answered(NotificationType.INVITATION_EXPIRED),
    InvitationCancelled: _invitation_withdrawn,
    InvitationRevoked: _invitation_withdrawn,
    PostCoauthorRemoved: _coauthor_removed,
    PostPublished: _post_published,
    PostDeleted: _post_deleted,
    UserFollowed: _follower_new,
    UserDeleted: _user_deleted,
    PostRemixRequested: _remix_requested,
    PostRemixApproved: _remix_approved,
    PostRemixRejected: _remix_answered(NotificationType.REMIX_REJECTED),
    PostRemixRevoked: _remix_answered(NotificationType.REMIX_REVOKED),
    PostRemixRemoved: _remix_removed,
    PostReplied: _post_replied,
    PostReplyRemoved: _reply_removed,
}


def reaction_to(data: EventData) -> Reaction:
    """What an event does to notifications; nobody is ever notified of their own action."""
    react = REACTIONS.get(type(data))
    if react is None:
        return NO_REACTION
    reaction = react(data)
    return Reaction(
        withdrawals=reaction.withdrawals,
        notifications=tuple(n for n in reaction.notifications if n.recipient_id != n.actor_id),
    )


# -- the live stream's position -----------------------------------------------------------


@dataclass
class StreamPosition:
    """Where a stream is in one recipient's sequence of notifications.

    Sequence numbers are assigned before the insert, so a later number can commit before an
    earlier one: the stream only moves over the contiguous prefix, and waits `grace_seconds`
    for a missing number (a write still in flight) before it skips it (a writer that died).
    """

    last_seq: int
    grace_seconds: float
    _gap_seen_at: float | None = field(default=None, repr=False)

    def advance[T](self, found: Sequence[tuple[int, T]], now: float) -> list[T]:
        """The items to deliver, in order, from those found after `last_seq` (sorted by seq)."""
        delivered: list[T] = []
        for seq, item in found:
            if seq <= self.last_seq:
                continue
            if seq > self.last_seq + 1 and not self._gap_expired(now):
                return delivered
            self.last_seq = seq
            self._gap_seen_at = None
            delivered.append(item)
        return delivered

    def _gap_expired(self, now: float) -> bool:
        if self._gap_seen_at is None:
            self._gap_seen_at = now
        return now - self._gap_seen_at >= self.grace_seconds


# How soon to try again when an account has all its streams open: one usually closes soon.
STREAM_LIMIT_RETRY_AFTER_SECONDS = 10


class TooManyStreams(TooManyRequests):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"At most {limit} notification streams may be open at once for one account.",
            retry_after_seconds=STREAM_LIMIT_RETRY_AFTER_SECONDS,
        )


class InvalidLastEventId(BadRequest):
    """A Last-Event-ID this service never sent."""


def parse_last_event_id(value: str | None) -> int | None:
    """The sequence number a reconnecting EventSource sends back; None when absent or blank."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InvalidLastEventId("Last-Event-ID is not a notification position.")
    return int(text)


# -- grouped likes (issue 12) -------------------------------------------------------------


def like_recipients(author_ids: Sequence[str], liker_id: str) -> list[str]:
    """Every credited author but the liker, once each."""
    return [a for a in dict.fromkeys(author_ids) if a != liker_id]


def like_group_id(recipient_id: str, post_id: str) -> str:
    """One `post.liked` per recipient and post, reopened by a like after it was read."""
    return uuid5(_NOTIFICATION_IDS, f"{NotificationType.POST_LIKED}:{recipient_id}:{post_id}").hex


type Liker = tuple[str, datetime]


def likers_after_like(
    likers: Sequence[Liker], liker: Liker, *, reopened: bool
) -> list[Liker] | None:
    """The group's likers, oldest like first, once `liker` likes: a read (or emptied) group
    starts afresh. None when nothing changes. Sorted by the time of each like, so the
    latest liker is the actor whatever order the events came in."""
    if reopened:
        return [liker]
    if any(liker_id == liker[0] for liker_id, _ in likers):
        return None
    return sorted([*likers, liker], key=lambda entry: (entry[1], entry[0]))


def likers_after_unlike(likers: Sequence[Liker], liker_id: str) -> list[Liker] | None:
    if all(entry[0] != liker_id for entry in likers):
        return None
    return [entry for entry in likers if entry[0] != liker_id]
