"""Who hears of remixes: the original's authors of a request or of a remix made at once, the
remixer of their answer; every notification's post is the remix."""

from collections.abc import Callable

from notifications.core.reactions import Reacting, ReactionRule
from notifications.core.rules import (
    NewNotification,
    NotificationType,
    Reaction,
    SubjectKind,
    Withdrawal,
)
from shared.events.posts import (
    PostRemixApproved,
    PostRemixRejected,
    PostRemixRemoved,
    PostRemixRequested,
    PostRemixRevoked,
    RemixEvent,
)

type RemixAnswered = PostRemixApproved | PostRemixRejected | PostRemixRevoked


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


def _remix_answered(kind: NotificationType) -> Callable[[RemixAnswered], Reaction]:
    """The remixer hears the answer; nobody else needs to answer any more."""

    def react(data: RemixAnswered) -> Reaction:
        return Reaction(
            withdrawals=(Withdrawal(SubjectKind.REMIX_REQUEST, data.remix_id),),
            notifications=(_remix_notification(data.remix_author_id, kind, data.actor_id, data),),
        )

    return react


def _remix_removed(data: PostRemixRemoved) -> Reaction:
    return Reaction(withdrawals=(Withdrawal(SubjectKind.REMIX_REQUEST, data.remix_id),))


REACTIONS: tuple[Reacting, ...] = (
    ReactionRule(PostRemixRequested, _remix_requested),
    ReactionRule(PostRemixApproved, _remix_approved),
    ReactionRule(PostRemixRejected, _remix_answered(NotificationType.REMIX_REJECTED)),
    ReactionRule(PostRemixRevoked, _remix_answered(NotificationType.REMIX_REVOKED)),
    ReactionRule(PostRemixRemoved, _remix_removed),
)
