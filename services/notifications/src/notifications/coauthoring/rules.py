"""Who hears of invitations and co-authors: invitees of their invitations, inviters of the
answers, authors and co-authors of each other's leaving, and co-authors of a pending post's
publication and of a post's deletion."""

from collections.abc import Callable, Sequence

from notifications.core.reactions import Reacting, ReactionRule
from notifications.core.rules import (
    NO_REACTION,
    NewNotification,
    NotificationType,
    Reaction,
    SubjectKind,
    Withdrawal,
    notify,
)
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationCreated,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.posts import PostCoauthorRemoved, PostDeleted, PostPublished

type InvitationAnswered = InvitationAccepted | InvitationDeclined | InvitationExpired


def _invitation_received(data: InvitationCreated) -> Reaction:
    return notify(
        NewNotification(
            recipient_id=data.invitee_id,
            type=NotificationType.INVITATION_RECEIVED,
            actor_id=data.inviter_id,
            post_id=data.post_id,
            invitation_id=data.invitation_id,
        )
    )


def _invitation_answered(
    notification_type: NotificationType,
) -> Callable[[InvitationAnswered], Reaction]:
    def react(data: InvitationAnswered) -> Reaction:
        return notify(
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
        return notify(
            NewNotification(
                recipient_id=data.author_id,
                type=NotificationType.COAUTHOR_LEFT,
                actor_id=data.coauthor_id,
                post_id=data.post_id,
            )
        )
    if data.reason == "removed":
        return notify(
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


REACTIONS: tuple[Reacting, ...] = (
    ReactionRule(InvitationCreated, _invitation_received),
    ReactionRule(InvitationAccepted, _invitation_answered(NotificationType.INVITATION_ACCEPTED)),
    ReactionRule(InvitationDeclined, _invitation_answered(NotificationType.INVITATION_DECLINED)),
    ReactionRule(InvitationExpired, _invitation_answered(NotificationType.INVITATION_EXPIRED)),
    ReactionRule(InvitationCancelled, _invitation_withdrawn),
    ReactionRule(InvitationRevoked, _invitation_withdrawn),
    ReactionRule(PostCoauthorRemoved, _coauthor_removed),
    ReactionRule(PostPublished, _post_published),
    ReactionRule(PostDeleted, _post_deleted),
)
