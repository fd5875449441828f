"""Event consumers: invitations', posts' and users' events become notifications or withdraw them.

Every handler is idempotent (notification ids derive from the event id) and tolerates
reordering (withdrawals leave markers; blocks keep the newest state per pair).
"""

from typing import Any

from notifications.domain import REACTIONS, reaction_to
from notifications.likes import LikeGroups
from notifications.notifier import Notifier
from notifications.repository import NotificationRepository
from shared.bus import EventHandler
from shared.events import EventEnvelope
from shared.events.posts import PostLiked, PostUnliked
from shared.events.users import UserBlocked, UserDeleted, UserUnblocked
from shared.relations import RelationReplica, mute_handlers
from shared.user_directory import UserDirectory


def engagement_handlers(likes: LikeGroups, mutes: RelationReplica) -> dict[str, EventHandler]:
    """Grouped likes and the mute replica (issue 12)."""

    async def liked(_: EventEnvelope, data: PostLiked) -> None:
        await likes.liked(data)

    async def unliked(_: EventEnvelope, data: PostUnliked) -> None:
        await likes.unliked(data)

    return {
        PostLiked.event_type: liked,
        PostUnliked.event_type: unliked,
        **mute_handlers(mutes),
    }


def notification_event_handlers(
    notifier: Notifier, repository: NotificationRepository, directory: UserDirectory
) -> dict[str, EventHandler]:
    async def react(envelope: EventEnvelope, data: Any) -> None:
        await notifier.apply(envelope.id, reaction_to(data))

    async def user_blocked(_: EventEnvelope, data: UserBlocked) -> None:
        await repository.record_block(
            data.blocker_id, data.blocked_id, blocked=True, as_of=data.blocked_at
        )

    async def user_unblocked(_: EventEnvelope, data: UserUnblocked) -> None:
        await repository.record_block(
            data.blocker_id, data.blocked_id, blocked=False, as_of=data.unblocked_at
        )

    async def user_deleted(envelope: EventEnvelope, data: UserDeleted) -> None:
        await directory.apply_deleted(data)
        await react(envelope, data)

    # The directory's own user.deleted handler is replaced by ours, which applies it too.
    return {
        **directory.event_handlers(),
        **dict.fromkeys(REACTIONS, react),
        UserBlocked.event_type: user_blocked,
        UserUnblocked.event_type: user_unblocked,
        UserDeleted.event_type: user_deleted,
    }
