"""Which events the media service handles: a deleted post or account takes its media along.

Both handlers are naturally idempotent (they mark media deleted that are not yet).
"""

from media.components import MediaComponents
from shared.events.posts import PostDeleted
from shared.events.users import UserDeleted
from shared.subscriptions import Subscriptions


def subscriptions(components: MediaComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.on(PostDeleted, components.media.post_deleted)
    subscriptions.on(UserDeleted, components.media.user_deleted)
    return subscriptions
