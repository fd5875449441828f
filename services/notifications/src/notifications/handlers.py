"""Event consumers: invitations', posts' and users' events become notifications or withdraw them.

Every handler is idempotent (notification ids derive from the event id) and tolerates
reordering (withdrawals leave markers; blocks keep the newest state per pair).
"""

from notifications.components import NotificationsComponents
from notifications.domain import REACTIONS
from shared.events.posts import PostLiked, PostUnliked
from shared.events.users import UserBlocked, UserUnblocked
from shared.relations import mute_subscriptions
from shared.subscriptions import Subscriptions


def subscriptions(components: NotificationsComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    # The read models first: user.deleted updates the directory before its notifications go.
    subscriptions.include(components.directory.subscriptions())
    subscriptions.include(mute_subscriptions(components.mutes))
    subscriptions.on_each(REACTIONS, components.notifier.react)
    subscriptions.on(UserBlocked, components.notifier.user_blocked)
    subscriptions.on(UserUnblocked, components.notifier.user_unblocked)
    subscriptions.on(PostLiked, components.likes.liked)
    subscriptions.on(PostUnliked, components.likes.unliked)
    return subscriptions
