"""Which events the media service handles: a published post makes its media public, a
deleted post or account takes its media along.

Every handler is naturally idempotent (each sets a state that a second delivery sets again).
"""

from media.components import MediaComponents
from shared.events.posts import PostDeleted, PostEdited, PostEditEnded, PostPublished
from shared.events.users import UserDeleted
from shared.subscriptions import Subscriptions


def subscriptions(components: MediaComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.on(PostPublished, components.attaching.post_published)
    subscriptions.on(PostEdited, components.attaching.post_edited)
    subscriptions.on(PostEditEnded, components.attaching.edit_ended)
    subscriptions.on(PostDeleted, components.media.post_deleted)
    subscriptions.on(UserDeleted, components.media.user_deleted)
    return subscriptions
