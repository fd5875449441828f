"""Event consumers: posts' and users' events open, close and cancel invitations.

Every handler is idempotent (inserts keyed by the invitation id, conditional updates from
the status decided on) and tolerates reordering (post.deleted and post.coauthor_removed
leave markers that a late post.created or post.coauthor_invited respects).
"""

from invitations.lifecycle import InvitationLifecycle
from shared.bus import EventHandler
from shared.events import EventEnvelope
from shared.events.posts import PostCoauthorInvited, PostCoauthorRemoved, PostCreated, PostDeleted
from shared.events.users import UserBlocked, UserDeleted
from shared.user_directory import UserDirectory


def invitation_event_handlers(
    lifecycle: InvitationLifecycle, directory: UserDirectory
) -> dict[str, EventHandler]:
    async def post_created(_: EventEnvelope, data: PostCreated) -> None:
        for invited in data.invitations:
            await lifecycle.open(
                invitation_id=invited.invitation_id,
                post_id=data.post_id,
                inviter_id=data.author_id,
                invitee_id=invited.invitee_id,
                created_at=data.created_at,
            )

    async def coauthor_invited(_: EventEnvelope, data: PostCoauthorInvited) -> None:
        await lifecycle.open(
            invitation_id=data.invitation_id,
            post_id=data.post_id,
            inviter_id=data.author_id,
            invitee_id=data.invitee_id,
            created_at=data.invited_at,
        )

    async def coauthor_removed(_: EventEnvelope, data: PostCoauthorRemoved) -> None:
        await lifecycle.close_for_removed_coauthor(
            data.post_id,
            data.coauthor_id,
            str(data.reason),
            data.removed_at,
            invitation_id=data.invitation_id,
        )

    async def post_deleted(_: EventEnvelope, data: PostDeleted) -> None:
        await lifecycle.cancel_for_deleted_post(data.post_id, data.deleted_at)

    async def user_blocked(_: EventEnvelope, data: UserBlocked) -> None:
        await lifecycle.cancel_between(data.blocker_id, data.blocked_id, data.blocked_at)

    async def user_deleted(_: EventEnvelope, data: UserDeleted) -> None:
        await directory.apply_deleted(data)
        await lifecycle.cancel_involving(data.user_id, data.deleted_at)

    # The directory's own user.deleted handler is replaced by ours, which applies it too.
    return {
        **directory.event_handlers(),
        PostCreated.event_type: post_created,
        PostCoauthorInvited.event_type: coauthor_invited,
        PostCoauthorRemoved.event_type: coauthor_removed,
        PostDeleted.event_type: post_deleted,
        UserBlocked.event_type: user_blocked,
        UserDeleted.event_type: user_deleted,
    }
