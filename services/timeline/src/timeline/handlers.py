"""What the timeline service does with each event it consumes: posts, follows, engagement."""

from shared.events.posts import (
    REMIX_EVENTS,
    PostCoauthorAdded,
    PostCoauthorRemoved,
    PostDeleted,
    PostLiked,
    PostPublished,
    PostReplied,
    PostReplyRemoved,
    PostUnliked,
)
from shared.events.users import UserBlocked, UserDeleted, UserFollowed, UserUnfollowed
from shared.relations import mute_subscriptions
from shared.subscriptions import Subscriptions
from timeline.components import TimelineComponents


def subscriptions(components: TimelineComponents) -> Subscriptions:
    writer, engagement = components.writer, components.engagement
    subscriptions = Subscriptions()
    subscriptions.include(components.directory.subscriptions())
    subscriptions.include(mute_subscriptions(components.mutes))
    subscriptions.on(PostPublished, writer.post_published)
    subscriptions.on(PostCoauthorAdded, writer.coauthor_added)
    subscriptions.on(PostCoauthorRemoved, writer.coauthor_removed)
    subscriptions.on(PostDeleted, writer.post_deleted)
    subscriptions.on(PostDeleted, engagement.forget_post)
    subscriptions.on_each(REMIX_EVENTS, writer.remix_status_changed)
    subscriptions.on(UserFollowed, writer.followed)
    subscriptions.on(UserFollowed, engagement.record_attribution)
    subscriptions.on(UserUnfollowed, writer.unfollowed)
    subscriptions.on(UserUnfollowed, engagement.record_attribution)
    subscriptions.on(UserBlocked, writer.blocked)
    subscriptions.on(UserDeleted, writer.user_deleted)
    subscriptions.on(PostLiked, engagement.record_like)
    subscriptions.on(PostLiked, engagement.record_counts_of)
    subscriptions.on(PostUnliked, engagement.record_like)
    subscriptions.on(PostUnliked, engagement.record_counts_of)
    subscriptions.on(PostReplied, engagement.record_counts_of)
    subscriptions.on(PostReplyRemoved, engagement.record_counts_of)
    return subscriptions
