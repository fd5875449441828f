"""What posts' and users' events do to invitations: open them for invited co-authors, close them
when the entry is removed, the post deleted, the pair blocked or an account deleted.

Every handler is idempotent (inserts keyed by the invitation id, conditional updates from the
status decided on) and tolerates reordering: post.deleted and post.coauthor_removed leave
markers that a late post.created or post.coauthor_invited respects.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from invitations.coauthoring.repository import RemovalRepository
from invitations.coauthoring.rules import InvitationRemoval, transition_for_removal
from invitations.core.commands import InvitationCommands
from invitations.core.repository import InvitationRecord, InvitationRepository
from invitations.core.rules import (
    TARGET_STATUS,
    InvitationFacts,
    InvitationStatus,
    Transition,
    created_event,
    expiry_of,
)
from shared.events import EventEnvelope
from shared.events.invitations import CancellationReason
from shared.events.posts import (
    PostCoauthorInvited,
    PostCoauthorRemoved,
    PostCreated,
    PostDeleted,
    PostEdited,
)
from shared.events.users import UserBlocked, UserDeleted
from shared.outbox import Outbox
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class PostAbout:
    """What an invitation shows of its post, as the post's event said when it was made."""

    credit: str | None
    post_text: str
    post_media_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CoauthoringCommands:
    repository: InvitationRepository
    removals: RemovalRepository
    invitations: InvitationCommands
    directory: UserDirectory
    outbox: Outbox
    ttl_seconds: float

    # -- opening ----------------------------------------------------------------------

    async def post_created(self, delivery: Delivery[PostCreated]) -> None:
        post = delivery.event
        for invited in post.invitations:
            await self._open(
                invitation_id=invited.invitation_id,
                post_id=post.post_id,
                inviter_id=post.author_id,
                invitee_id=invited.invitee_id,
                created_at=post.created_at,
                about=PostAbout(
                    invited.credit, post.text, tuple(medium.id for medium in post.media)
                ),
            )

    async def coauthor_invited(self, delivery: Delivery[PostCoauthorInvited]) -> None:
        invited = delivery.event
        await self._open(
            invitation_id=invited.invitation_id,
            post_id=invited.post_id,
            inviter_id=invited.author_id,
            invitee_id=invited.invitee_id,
            created_at=invited.invited_at,
            about=PostAbout(invited.credit, invited.post_text, invited.post_media_ids),
        )

    async def _open(
        self,
        *,
        invitation_id: str,
        post_id: str,
        inviter_id: str,
        invitee_id: str,
        created_at: datetime,
        about: PostAbout,
    ) -> None:
        """Write a pending invitation; a redelivery of the same id is a no-op."""
        facts = InvitationFacts(
            invitation_id, post_id, inviter_id, invitee_id, InvitationStatus.PENDING
        )
        expires_at = expiry_of(created_at, self.ttl_seconds)
        # post.deleted or post.coauthor_removed came first: keep the invitation, closed, and
        # tell nobody about it.
        if (removal := await self.removals.removal_of(invitation_id)) is not None:
            await self._insert(
                facts,
                about,
                created_at,
                expires_at,
                closed_as=TARGET_STATUS[removal.transition],
                cancel_reason=removal.cancel_reason,
            )
            return
        if await self.removals.is_post_deleted(post_id):
            await self._insert(
                facts,
                about,
                created_at,
                expires_at,
                closed_as=InvitationStatus.CANCELLED,
                cancel_reason="post_deleted",
            )
            return
        created = created_event(facts, created_at, expires_at, post_text=about.post_text)
        with self.outbox.publishing(created) as events:
            inserted = await self._insert(facts, about, created_at, expires_at, events=events)
        if not inserted:
            return
        # post.deleted and post.coauthor_removed write their marker before they look for the
        # invitation, and this looks for the markers after the insert: whatever the
        # interleaving, one side sees the other, so no pending invitation survives either.
        if (removal := await self.removals.removal_of(invitation_id)) is not None:
            await self._close_as_removed(removal)
        if await self.removals.is_post_deleted(post_id):
            await self.invitations.close(
                invitation_id, Transition.CANCEL, at=created_at, reason="post_deleted"
            )

    async def _insert(
        self,
        facts: InvitationFacts,
        about: PostAbout,
        created_at: datetime,
        expires_at: datetime,
        *,
        events: Iterable[EventEnvelope] = (),
        closed_as: InvitationStatus = InvitationStatus.PENDING,
        cancel_reason: CancellationReason | None = None,
    ) -> bool:
        users = await self.directory.get_many([facts.inviter_id, facts.invitee_id])
        record = InvitationRecord(
            id=facts.id,
            post_id=facts.post_id,
            inviter_id=facts.inviter_id,
            invitee_id=facts.invitee_id,
            status=closed_as,
            created_at=created_at,
            expires_at=expires_at,
            responded_at=None,
            cancel_reason=cancel_reason,
            inviter_snapshot=users.get(facts.inviter_id),
            invitee_snapshot=users.get(facts.invitee_id),
            credit=about.credit,
            post_text=about.post_text,
            post_media_ids=about.post_media_ids,
        )
        return await self.repository.insert(record, list(events))

    # -- closing ----------------------------------------------------------------------

    async def post_deleted(self, delivery: Delivery[PostDeleted]) -> None:
        deleted = delivery.event
        await self.removals.record_deleted_post(deleted.post_id, deleted.deleted_at)
        pending = await self.repository.pending_ids_of_post(deleted.post_id)
        await self.invitations.close_each(
            pending, Transition.CANCEL, at=deleted.deleted_at, reason="post_deleted"
        )

    async def post_edited(self, delivery: Delivery[PostEdited]) -> None:
        """Invitations show the post's current text: the highest version heard of wins."""
        edited = delivery.event
        await self.repository.refresh_post_text(edited.post_id, edited.text, edited.version)

    async def coauthor_removed(self, delivery: Delivery[PostCoauthorRemoved]) -> None:
        """Close the removed entry's invitation, even one not opened here yet (a marker waits
        for it). Without its id (older producers), whatever is pending for the co-author."""
        removed = delivery.event
        transition, reason = transition_for_removal(str(removed.reason))
        if removed.invitation_id is None:
            pending = await self.repository.pending_ids_of_invitee_on_post(
                removed.post_id, removed.coauthor_id
            )
            await self.invitations.close_each(
                pending, transition, at=removed.removed_at, reason=reason
            )
            return
        removal = InvitationRemoval(removed.invitation_id, transition, reason, removed.removed_at)
        await self.removals.record_removal(removal)
        await self._close_as_removed(removal)

    async def _close_as_removed(self, removal: InvitationRemoval) -> None:
        await self.invitations.close(
            removal.invitation_id,
            removal.transition,
            at=removal.removed_at,
            reason=removal.cancel_reason,
        )

    async def user_deleted(self, delivery: Delivery[UserDeleted]) -> None:
        deleted = delivery.event
        pending = await self.repository.pending_ids_involving(deleted.user_id)
        await self.invitations.close_each(
            pending, Transition.CANCEL, at=deleted.deleted_at, reason="account_deleted"
        )

    async def user_blocked(self, delivery: Delivery[UserBlocked]) -> None:
        block = delivery.event
        pending = await self.repository.pending_ids_between(block.blocker_id, block.blocked_id)
        await self.invitations.close_each(
            pending, Transition.CANCEL, at=block.blocked_at, reason="blocked"
        )
