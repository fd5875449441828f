"""Who hears of a follow: the followee, once per follower and day."""

from datetime import timedelta

from notifications.core.reactions import Reacting, ReactionRule
from notifications.core.rules import NewNotification, NotificationType, Reaction, notify
from shared.events.users import UserFollowed

# At most one "new follower" notification per follower and followee in this window.
FOLLOWER_NOTIFICATION_WINDOW = timedelta(days=1)


def _follower_new(data: UserFollowed) -> Reaction:
    # Follow, unfollow, follow again...: one "new follower" per follower and day, however
    # often an account toggles its follow to push notifications at someone.
    day = int(data.followed_at.timestamp() // FOLLOWER_NOTIFICATION_WINDOW.total_seconds())
    return notify(
        NewNotification(
            recipient_id=data.followee_id,
            type=NotificationType.FOLLOWER_NEW,
            actor_id=data.follower_id,
            collapse_key=f"{NotificationType.FOLLOWER_NEW}:{data.followee_id}:{data.follower_id}:{day}",
        )
    )


# Keyed by its collapse key: a redelivered follow meets its notification stored already.
REACTIONS: tuple[Reacting, ...] = (ReactionRule(UserFollowed, _follower_new, replay_safe=True),)
