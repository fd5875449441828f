"""The invitation commands: open, answer, and close invitations, each change with its event.

Every state change is one conditional single-document write (filter: the status it was
decided from) that carries its event in the document's outbox, so concurrent writers never
both win and no event is written without its change.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from invitations.domain import (
    TARGET_STATUS,
    Actor,
    Decision,
    InvitationFacts,
    InvitationKeptChanging,
    InvitationNotFound,
    InvitationStatus,
    InviteeNotEligible,
    Transition,
    actor_of,
    created_event,
    decide,
    expiry_of,
    is_due,
    transition_for_removal,
)
from invitations.repository import InvitationRecord, InvitationRemoval, InvitationRepository
from shared.clock import Clock, utc_now
from shared.events import EventEnvelope
from shared.events.invitations import CancellationReason, InvitationCancelled
from shared.events.posts import PostCoauthorInvited, PostCoauthorRemoved, PostCreated, PostDeleted
from shared.events.users import UserBlocked, UserDeleted
from shared.internal_http import EligibilityClient
from shared.mongo import Document
from shared.outbox import Outbox
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory

log = logging.getLogger(__name__)

# An answer re-reads and re-decides when a concurrent write changed the invitation under it.
ANSWER_ATTEMPTS = 3


class InvitationCommands:
    def __init__(
        self,
        repository: InvitationRepository,
        directory: UserDirectory,
        eligibility: EligibilityClient,
        outbox: Outbox,
        *,
        ttl_seconds: float,
        clock: Clock = utc_now,
    ) -> None:
        self._repository = repository
        self._directory = directory
        self._eligibility = eligibility
        self._outbox = outbox
        self._ttl_seconds = ttl_seconds
        self._clock = clock

    # -- opening ----------------------------------------------------------------------

    async def open_for_new_post(self, delivery: Delivery[PostCreated]) -> None:
        post = delivery.event
        for invited in post.invitations:
            await self._open(
                invitation_id=invited.invitation_id,
                post_id=post.post_id,
                inviter_id=post.author_id,
                invitee_id=invited.invitee_id,
                created_at=post.created_at,
            )

    async def open_for_invited_coauthor(self, delivery: Delivery[PostCoauthorInvited]) -> None:
        invited = delivery.event
        await self._open(
            invitation_id=invited.invitation_id,
            post_id=invited.post_id,
            inviter_id=invited.author_id,
            invitee_id=invited.invitee_id,
            created_at=invited.invited_at,
        )

    async def _open(
        self,
        *,
        invitation_id: str,
        post_id: str,
        inviter_id: str,
        invitee_id: str,
        created_at: datetime,
    ) -> None:
        """Write a pending invitation; a redelivery of the same id is a no-op."""
        facts = InvitationFacts(
            invitation_id, post_id, inviter_id, invitee_id, InvitationStatus.PENDING
        )
        expires_at = expiry_of(created_at, self._ttl_seconds)
        # post.deleted or post.coauthor_removed came first: keep the invitation, closed, and
        # tell nobody about it.
        if (removal := await self._repository.removal_of(invitation_id)) is not None:
            await self._insert(
                facts,
                created_at,
                expires_at,
                closed_as=TARGET_STATUS[removal.transition],
                cancel_reason=removal.cancel_reason,
            )
            return
        if await self._repository.is_post_deleted(post_id):
            await self._insert(
                facts,
                created_at,
                expires_at,
                closed_as=InvitationStatus.CANCELLED,
                cancel_reason="post_deleted",
            )
            return
        with self._outbox.publishing(created_event(facts, created_at, expires_at)) as events:
            inserted = await self._insert(facts, created_at, expires_at, events=events)
        if not inserted:
            return
        # post.deleted and post.coauthor_removed write their marker before they look for the
        # invitation, and this looks for the markers after the insert: whatever the
        # interleaving, one side sees the other, so no pending invitation survives either.
        if (removal := await self._repository.removal_of(invitation_id)) is not None:
            await self._close_as_removed(removal)
        if await self._repository.is_post_deleted(post_id):
            await self.close(invitation_id, Transition.CANCEL, at=created_at, reason="post_deleted")

    async def _insert(
        self,
        facts: InvitationFacts,
        created_at: datetime,
        expires_at: datetime,
        *,
        events: Iterable[EventEnvelope] = (),
        closed_as: InvitationStatus = InvitationStatus.PENDING,
        cancel_reason: CancellationReason | None = None,
    ) -> bool:
        users = await self._directory.get_many([facts.inviter_id, facts.invitee_id])
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
        )
        return await self._repository.insert(record, list(events))

    # -- answers from the invitee -----------------------------------------------------

    async def answer(
        self,
        invitation_id: str,
        user_id: str,
        transition: Transition,
    ) -> InvitationRecord:
        """Accept or decline on behalf of `user_id`; the invitation as it stands afterwards."""
        for _ in range(ANSWER_ATTEMPTS):
            record = await self._repository.get(invitation_id)
            if record is None:
                raise InvitationNotFound()
            now = self._clock()
            decision = decide(record.facts, transition, actor_of(record.facts, user_id), at=now)
            if not decision.changed:
                return record
            if is_due(record.expires_at, now):
                # The scheduler has not swept it yet; expire it here and decide again.
                await self.close(record.id, Transition.EXPIRE, at=now)
                continue
            if transition is Transition.ACCEPT:
                await self._require_eligible(record, now)
            if await self._write(record, decision, now):
                return await self._reread(invitation_id)
        raise InvitationKeptChanging()

    async def _require_eligible(self, record: InvitationRecord, now: datetime) -> None:
        [verdict] = await self._eligibility.by_ids(record.inviter_id, [record.invitee_id])
        if not verdict.eligible:
            log.info(
                "invitee no longer eligible",
                extra={"invitation_id": record.id, "reason": verdict.reason},
            )
            await self.close(record.id, Transition.CANCEL, at=now, reason="ineligible")
            raise InviteeNotEligible()

    async def _reread(self, invitation_id: str) -> InvitationRecord:
        record = await self._repository.get(invitation_id)
        if record is None:
            raise InvitationNotFound()
        return record

    # -- closing by the system --------------------------------------------------------

    async def close(
        self,
        invitation_id: str,
        transition: Transition,
        *,
        at: datetime,
        reason: CancellationReason | None = None,
    ) -> bool:
        """Revoke, expire, cancel or decline on an event or the clock; False if already closed."""
        record = await self._repository.get(invitation_id)
        if record is None:
            return False
        decision = decide(record.facts, transition, Actor.SYSTEM, at=at, cancel_reason=reason)
        # Losing the conditional write means another writer closed it first: nothing to do.
        return decision.changed and await self._write(record, decision, at)

    async def close_each(
        self,
        invitation_ids: Iterable[str],
        transition: Transition,
        *,
        at: datetime,
        reason: CancellationReason | None = None,
    ) -> int:
        """One conditional write per invitation, each carrying its own event."""
        closed = 0
        for invitation_id in invitation_ids:
            closed += await self.close(invitation_id, transition, at=at, reason=reason)
        return closed

    async def cancel_for_deleted_post(self, delivery: Delivery[PostDeleted]) -> None:
        deleted = delivery.event
        await self._repository.record_deleted_post(deleted.post_id, deleted.deleted_at)
        pending = await self._repository.pending_ids_of_post(deleted.post_id)
        await self.close_each(
            pending, Transition.CANCEL, at=deleted.deleted_at, reason="post_deleted"
        )

    async def close_for_removed_coauthor(self, delivery: Delivery[PostCoauthorRemoved]) -> None:
        """Close the removed entry's invitation, even one not opened here yet (a marker waits
        for it). Without its id (older producers), whatever is pending for the co-author."""
        removed = delivery.event
        transition, reason = transition_for_removal(str(removed.reason))
        if removed.invitation_id is None:
            pending = await self._repository.pending_ids_of_invitee_on_post(
                removed.post_id, removed.coauthor_id
            )
            await self.close_each(pending, transition, at=removed.removed_at, reason=reason)
            return
        removal = InvitationRemoval(removed.invitation_id, transition, reason, removed.removed_at)
        await self._repository.record_removal(removal)
        await self._close_as_removed(removal)

    async def _close_as_removed(self, removal: InvitationRemoval) -> None:
        await self.close(
            removal.invitation_id,
            removal.transition,
            at=removal.removed_at,
            reason=removal.cancel_reason,
        )

    async def cancel_for_deleted_account(self, delivery: Delivery[UserDeleted]) -> None:
        deleted = delivery.event
        pending = await self._repository.pending_ids_involving(deleted.user_id)
        await self.close_each(
            pending, Transition.CANCEL, at=deleted.deleted_at, reason="account_deleted"
        )

    async def cancel_for_block(self, delivery: Delivery[UserBlocked]) -> None:
        block = delivery.event
        pending = await self._repository.pending_ids_between(block.blocker_id, block.blocked_id)
        await self.close_each(pending, Transition.CANCEL, at=block.blocked_at, reason="blocked")

    async def expire_due(self, batch_size: int) -> int:
        """Expire every pending invitation past its expiry; how many this call expired."""
        expired = 0
        while True:
            now = self._clock()
            due = await self._repository.due_ids(now, batch_size)
            expired += await self.close_each(due, Transition.EXPIRE, at=now)
            if len(due) < batch_size:
                return expired

    # -- writing ----------------------------------------------------------------------

    async def _write(self, record: InvitationRecord, decision: Decision, at: datetime) -> bool:
        assert decision.event is not None  # only changed decisions are written
        with self._outbox.publishing(decision.event) as events:
            return await self._repository.transition(
                record.id, from_status=record.status, changes=_changes(decision, at), events=events
            )


def _changes(decision: Decision, at: datetime) -> Document:
    changes: Document = {"status": decision.status.value, "closed_at": at}
    if decision.status in (InvitationStatus.ACCEPTED, InvitationStatus.DECLINED):
        changes["responded_at"] = at
    if isinstance(decision.event, InvitationCancelled):
        changes["cancel_reason"] = decision.event.reason
    return changes
