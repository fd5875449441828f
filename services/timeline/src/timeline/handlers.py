"""Which events the timeline service handles, and by which capability's use case."""

from shared.events.federation import RemotePostEdited, RemotePostReceived
from shared.events.media import MediaAltTextChanged
from shared.events.posts import (
    REMIX_EVENTS,
    PostCoauthorAdded,
    PostCoauthorRemoved,
    PostDeleted,
    PostEdited,
    PostHandedOver,
    PostLiked,
    PostPublished,
    PostReplied,
    PostReplyRemoved,
    PostUnliked,
)
from shared.events.users import (
    UserBlocked,
    UserDeleted,
    UserFollowed,
    UserUnblocked,
    UserUnfollowed,
)
from shared.relations import block_subscriptions, mute_subscriptions
from shared.subscriptions import Subscriptions
from timeline.components import TimelineComponents


def subscriptions(components: TimelineComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.include(components.directory.subscriptions())
    subscriptions.include(mute_subscriptions(components.mutes))
    subscriptions.include(block_subscriptions(components.blocks))

    fan_out = components.fan_out
    subscriptions.on(PostPublished, fan_out.post_published)
    subscriptions.on(RemotePostReceived, fan_out.remote_post_received)
    subscriptions.on(RemotePostEdited, fan_out.remote_post_edited)
    subscriptions.on(PostCoauthorAdded, fan_out.coauthor_added)
    subscriptions.on(PostCoauthorRemoved, fan_out.coauthor_removed)
    subscriptions.on(PostDeleted, fan_out.post_deleted)
    subscriptions.on(PostEdited, fan_out.post_edited)
    subscriptions.on(PostHandedOver, fan_out.post_handed_over)
    subscriptions.on_each(REMIX_EVENTS, fan_out.remix_status_changed)
    subscriptions.on(MediaAltTextChanged, fan_out.alt_text_changed)
    subscriptions.on(UserFollowed, fan_out.user_followed)
    subscriptions.on(UserUnfollowed, fan_out.user_unfollowed)
    # After the block replica's handlers (included above): pulled feeds read the replica.
    subscriptions.on(UserBlocked, fan_out.user_blocked)
    subscriptions.on(UserUnblocked, fan_out.user_unblocked)
    subscriptions.on(UserDeleted, fan_out.user_deleted)

    engagement = components.engagement
    subscriptions.on(PostLiked, engagement.post_liked)
    subscriptions.on(PostUnliked, engagement.post_unliked)
    subscriptions.on(PostReplied, engagement.post_replied, single_write=True)
    subscriptions.on(PostReplyRemoved, engagement.reply_removed, single_write=True)
    subscriptions.on(PostDeleted, engagement.post_deleted)
    return subscriptions
