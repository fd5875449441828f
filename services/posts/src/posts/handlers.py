"""Event consumers of the posts service: invitation answers, deleted accounts and blocks.

Each handler is a conditional single-document update per post, idempotent and tolerant of
order: it acts only on a live post and on an entry in the state the event expects.
"""

from collections.abc import Callable

from posts import domain, remixing
from posts.api import engagement_of
from posts.domain import Change, Post
from posts.engagement import Engagement
from posts.repository import PostRepository
from posts.service import current_time
from shared.bus import EventHandler
from shared.events import EventEnvelope
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.posts import PostDeleted
from shared.events.users import UserBlocked, UserDeleted, UserUnblocked
from shared.outbox import OutboxRelay
from shared.relations import BLOCK_REPLICA, MUTE_REPLICA, RelationReplica, mute_handlers
from shared.service_app import ServiceRuntime
from shared.user_directory import UserDirectory

type InvitationEnded = (
    InvitationDeclined | InvitationExpired | InvitationRevoked | InvitationCancelled
)


class PostEventHandlers:
    def __init__(
        self,
        posts: PostRepository,
        directory: UserDirectory,
        relay: OutboxRelay,
        engagement: Engagement,
        blocks: RelationReplica,
        mutes: RelationReplica,
    ) -> None:
        self._posts = posts
        self._directory = directory
        self._relay = relay
        self._engagement = engagement
        self._blocks = blocks
        self._mutes = mutes

    async def invitation_accepted(self, _: EventEnvelope, data: InvitationAccepted) -> None:
        await self._apply(
            data.post_id,
            lambda post: domain.accept_invitation(
                post, data.invitation_id, data.responded_at, current_time()
            ),
        )

    async def invitation_ended(self, _: EventEnvelope, data: InvitationEnded) -> None:
        await self._apply(
            data.post_id,
            lambda post: domain.drop_invitation(post, data.invitation_id, current_time()),
        )

    async def user_deleted(self, _: EventEnvelope, data: UserDeleted) -> None:
        await self._directory.apply_deleted(data)
        for post_id in await self._posts.ids_involving(data.user_id):
            change = await self._apply(
                post_id,
                lambda post: domain.remove_deleted_account(post, data.user_id, current_time()),
            )
            if change is not None and change.post.is_deleted:
                await self._engagement.post_deleted(post_id)
        await self._engagement.account_deleted(data.user_id)
        await self._blocks.forget(data.user_id)
        await self._mutes.forget(data.user_id)

    async def user_blocked(self, _: EventEnvelope, data: UserBlocked) -> None:
        for post_id in await self._posts.ids_between(data.blocker_id, data.blocked_id):
            await self._apply(
                post_id,
                lambda post: domain.separate_blocked_pair(
                    post, data.blocker_id, data.blocked_id, current_time()
                ),
            )
        if await self._blocks.record(
            data.blocker_id, data.blocked_id, active=True, as_of=data.blocked_at
        ):
            await self._engagement.liker_blocked(data.blocker_id, data.blocked_id)

    async def post_deleted(self, _: EventEnvelope, data: PostDeleted) -> None:
        """This service's own event: a deleted original leaves its remixes `removed`."""
        for remix_id in await self._posts.remix_ids_of(data.post_id, ("pending", "approved")):
            await self._apply(
                remix_id, lambda post: remixing.remove(post, data.post_id, current_time())
            )

    async def user_unblocked(self, _: EventEnvelope, data: UserUnblocked) -> None:
        if await self._blocks.record(
            data.blocker_id, data.blocked_id, active=False, as_of=data.unblocked_at
        ):
            await self._engagement.liker_unblocked(data.blocker_id, data.blocked_id)

    async def _apply(self, post_id: str, transition: Callable[[Post], Change]) -> Change | None:
        """A post this service never wrote is nothing to act on: the event is dropped."""
        change = await self._posts.update(
            post_id, lambda post: transition(post) if post is not None else None
        )
        if change is not None and change.events:
            self._relay.wake()
        return change


def event_handlers(runtime: ServiceRuntime) -> dict[str, EventHandler]:
    directory = UserDirectory(runtime.db)
    mutes = RelationReplica(runtime.db, MUTE_REPLICA)
    posts = PostEventHandlers(
        PostRepository(runtime.db),
        directory,
        runtime.relay,
        engagement_of(runtime),
        RelationReplica(runtime.db, BLOCK_REPLICA),
        mutes,
    )
    return {
        **directory.event_handlers(),
        InvitationAccepted.event_type: posts.invitation_accepted,
        InvitationDeclined.event_type: posts.invitation_ended,
        InvitationExpired.event_type: posts.invitation_ended,
        InvitationRevoked.event_type: posts.invitation_ended,
        InvitationCancelled.event_type: posts.invitation_ended,
        UserDeleted.event_type: posts.user_deleted,
        UserBlocked.event_type: posts.user_blocked,
        PostDeleted.event_type: posts.post_deleted,
        UserUnblocked.event_type: posts.user_unblocked,
        **mute_handlers(mutes),
    }
