"""Who hears of edits: every approver of a proposal; the credited authors of its outcome (an
applied edit, a rejection, an expiry; a withdrawal tells nobody); and, of an applied edit, each
account that engaged with the post (see `editing.commands`). And of hand-overs, which change
who may edit: the co-author asked, then the new author and the co-authors."""

from notifications.core.reactions import Reacting, ReactionRule
from notifications.core.rules import NewNotification, NotificationType, Reaction, notify
from shared.events.posts import (
    PostEdited,
    PostEditEnded,
    PostEditProposed,
    PostHandedOver,
    PostHandoverRequested,
)

_ENDED_TYPES = {
    "rejected": NotificationType.POST_EDIT_REJECTED,
    "expired": NotificationType.POST_EDIT_EXPIRED,
}


def _edit_proposed(data: PostEditProposed) -> Reaction:
    return Reaction(
        notifications=tuple(
            NewNotification(
                recipient_id=approver,
                type=NotificationType.POST_EDIT_PROPOSED,
                actor_id=data.proposer_id,
                post_id=data.post_id,
                preview_text=data.text,
            )
            for approver in dict.fromkeys(data.approver_ids)
        )
    )


def _edit_ended(data: PostEditEnded) -> Reaction:
    kind = _ENDED_TYPES.get(data.status)
    if kind is None:
        return Reaction()
    return Reaction(
        notifications=tuple(
            NewNotification(
                recipient_id=author, type=kind, actor_id=data.actor_id, post_id=data.post_id
            )
            for author in dict.fromkeys(data.author_ids)
        )
    )


def _edit_applied(data: PostEdited) -> Reaction:
    return Reaction(
        notifications=tuple(
            NewNotification(
                recipient_id=author,
                type=NotificationType.POST_EDIT_APPLIED,
                actor_id=data.proposer_id,
                post_id=data.post_id,
                preview_text=data.text,
            )
            for author in dict.fromkeys((data.author_id, *data.coauthor_ids))
        )
    )


def post_edited_for(engager_ids: list[str], data: PostEdited) -> Reaction:
    """One `post.edited` per account that engaged with the post, its authors left out (they
    hear `post.edit_applied`)."""
    authors = {data.author_id, *data.coauthor_ids}
    return Reaction(
        notifications=tuple(
            NewNotification(
                recipient_id=engager,
                type=NotificationType.POST_EDITED,
                actor_id=data.author_id,
                post_id=data.post_id,
                preview_text=data.text,
            )
            for engager in dict.fromkeys(engager_ids)
            if engager not in authors
        )
    )


def _handover_requested(data: PostHandoverRequested) -> Reaction:
    return notify(
        NewNotification(
            recipient_id=data.to_user_id,
            type=NotificationType.POST_HANDOVER_REQUESTED,
            actor_id=data.author_id,
            post_id=data.post_id,
        )
    )


def _handed_over(data: PostHandedOver) -> Reaction:
    """The new author and every co-author hear who keeps the post now; from a deleted account,
    with no actor (its notifications are withdrawn with it)."""
    actor = data.from_author_id if data.reason == "accepted" else None
    return Reaction(
        notifications=tuple(
            NewNotification(
                recipient_id=recipient,
                type=NotificationType.POST_HANDED_OVER,
                actor_id=actor,
                post_id=data.post_id,
            )
            for recipient in dict.fromkeys((data.to_author_id, *data.coauthor_ids))
        )
    )


REACTIONS: tuple[Reacting, ...] = (
    ReactionRule(PostEditProposed, _edit_proposed),
    ReactionRule(PostEditEnded, _edit_ended),
    ReactionRule(PostEdited, _edit_applied),
    ReactionRule(PostHandoverRequested, _handover_requested),
    ReactionRule(PostHandedOver, _handed_over),
)
