"""Which events the notifications service handles: each capability's reactions (the events
that notify someone or withdraw notifications), blocks that silence, and grouped likes.

Every handler is idempotent (notification ids derive from the event id) and tolerates
reordering (withdrawals leave markers; blocks keep the newest state per pair).
"""

from notifications.coauthoring import rules as coauthoring
from notifications.components import NotificationsComponents
from notifications.core.reactions import Reacting, ReactionRule
from notifications.core.rules import NO_REACTION, Reaction, user_deleted
from notifications.editing import rules as editing
from notifications.engagement import rules as engagement
from notifications.following import rules as following
from notifications.remixing import rules as remixing
from shared.events import EventData
from shared.events.posts import (
    PostCreated,
    PostDeleted,
    PostEdited,
    PostLiked,
    PostPublished,
    PostRemixApproved,
    PostReplied,
    PostReplyRemoved,
    PostUnliked,
)
from shared.events.users import UserBlocked, UserDeleted, UserUnblocked
from shared.relations import mute_subscriptions
from shared.subscriptions import Subscriptions

REACTIONS: tuple[Reacting, ...] = (
    ReactionRule(UserDeleted, user_deleted),
    *coauthoring.REACTIONS,
    *following.REACTIONS,
    *remixing.REACTIONS,
    *editing.REACTIONS,
    *engagement.REACTIONS,
)


def reaction_to(data: EventData) -> Reaction:
    """What an event does to notifications (nothing, for an event no rule is for)."""
    return next(
        (reaction for rule in REACTIONS if (reaction := rule.reaction_to(data)) is not None),
        NO_REACTION,
    )


def subscriptions(components: NotificationsComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.include(components.directory.subscriptions())
    subscriptions.include(mute_subscriptions(components.mutes))
    notifications = components.notifications
    # Before the reactions: a post's text is known when its own notifications are stored.
    subscriptions.on(PostCreated, notifications.post_written)
    subscriptions.on(PostPublished, notifications.post_written)
    subscriptions.on(PostEdited, notifications.post_written)
    for rule in REACTIONS:
        rule.subscribe(subscriptions, notifications.apply)
    # After them: post.deleted's notifications keep the text they preview.
    subscriptions.on(PostDeleted, notifications.post_deleted)
    subscriptions.on(UserBlocked, notifications.user_blocked)
    subscriptions.on(UserUnblocked, notifications.user_unblocked)
    subscriptions.on(PostLiked, components.likes.post_liked)
    subscriptions.on(PostUnliked, components.likes.post_unliked)
    subscriptions.on(PostReplied, components.replies.post_replied)
    subscriptions.on(PostReplyRemoved, components.replies.reply_removed)
    edits = components.edits
    subscriptions.on(PostLiked, edits.post_liked)
    subscriptions.on(PostReplied, edits.post_replied)
    subscriptions.on(PostRemixApproved, edits.remix_approved)
    subscriptions.on(PostEdited, edits.post_edited)
    subscriptions.on(PostDeleted, edits.post_deleted)
    return subscriptions
