"""Event consumers: invitations', posts' and users' events become notifications or withdraw them.

Every handler is idempotent (notification ids derive from the event id) and tolerates
reordering (withdrawals leave markers; blocks keep the newest state per pair).
"""

from typing import Any

from notifications.domain import REACTIONS, reaction_to
from notifications.notifier import Notifier
from notifications.repository import NotificationRepository
from shared.bus import EventHandler
from shared.events import EventEnvelope
from shared.events.users import UserBlocked, UserDeleted, UserUnblocked
from shared.user_directory import UserDirectory


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
