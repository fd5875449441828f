"""Co-authoring use cases: publishing a pending post early, inviting, removing a co-author or
leaving, and what invitations' and users' events change on posts (answers, deleted accounts,
blocks). Every event handler is a conditional single-document update per post, idempotent and
tolerant of order: each acts only on a live post and on an entry in the state it expects.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from posts.coauthoring.repository import (
    CoauthorRepository,
    InviteCounterRepository,
    WithdrawnInvitationRepository,
)
from posts.coauthoring.rules import (
    Eligibility,
    InviteRateLimited,
    accept_invitation,
    check_invite_budget,
    check_invitees,
    drop_invitation,
    invite_coauthor,
    invite_window,
    publish_post,
    refuse_remote_invitation,
    remove_coauthor,
    remove_deleted_account,
    separate_blocked_pair,
    validate_invitee,
    withdraw_invitation,
)
from posts.coauthoring.schemas import InvitationOut
from posts.core.commands import PostCommands, new_id
from posts.core.queries import PostQueries
from posts.core.repository import PostRepository, StoredPost
from posts.core.rules import require_author
from posts.engagement.commands import EngagementCommands
from posts.settings import PostsSettings
from shared.clock import at_storage_precision, utc_now
from shared.eligibility import EligibilityResult
from shared.events.federation import (
    RemoteCoauthorInvited,
    RemoteCoauthorLeft,
    RemoteInvitationWithdrawn,
)
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.users import UserBlocked, UserDeleted
from shared.internal_http import EligibilityClient
from shared.problems import BadGateway, Problem
from shared.public_post import PostOut
from shared.public_user import PublicUser
from shared.subscriptions import Delivery

log = logging.getLogger(__name__)


class RemotePostNotTakenYet(RuntimeError):
    """An invitation to a remote post came before the post: retried until the post is here
    (both come from the federation service's outbox, the post first, but not always in one
    pass)."""


type InvitationEnded = (
    InvitationDeclined | InvitationExpired | InvitationRevoked | InvitationCancelled
)


@dataclass(frozen=True, slots=True)
class EligibleInvitee:
    user_id: str
    user: PublicUser | None

    @classmethod
    def of(cls, answer: EligibilityResult) -> "EligibleInvitee":
        user_id = answer.user_id or (answer.user.id if answer.user else None)
        if user_id is None:
            raise BadGateway("The users service called an invitee eligible without naming it.")
        return cls(user_id, answer.user)


@dataclass(frozen=True, slots=True)
class CoauthoringCommands:
    settings: PostsSettings
    core: PostCommands
    posts: PostRepository
    coauthors: CoauthorRepository
    counters: InviteCounterRepository
    queries: PostQueries
    users: EligibilityClient
    # A post deleted with its author's account loses its likes.
    engagement: EngagementCommands
    withdrawn: WithdrawnInvitationRepository

    async def publish(self, post_id: str, actor_id: str) -> PostOut:
        await self.core.require_live_account(actor_id)
        change = await self.core.apply(
            post_id, lambda post: publish_post(post, actor_id, utc_now())
        )
        return await self.queries.render_after(change, actor_id)

    async def invite(
        self, post_id: str, actor_id: str, handle: str, credit: str | None = None
    ) -> InvitationOut:
        wanted_handle, wanted_credit = validate_invitee(handle, credit)
        await self.core.require_live_account(actor_id)
        await self.core.require_features(actor_id, coauthoring=True)
        require_author((await self.posts.existing(post_id)).post, actor_id)
        (invitee,) = await self.eligible_invitees(actor_id, [wanted_handle])
        now = utc_now()
        await self.spend_invite_budget(actor_id, 1, now)
        invitation_id = new_id()
        try:
            change = await self.core.apply(
                post_id,
                lambda post: invite_coauthor(
                    post,
                    actor_id,
                    invitee_id=invitee.user_id,
                    invitation_id=invitation_id,
                    credit=wanted_credit,
                    max_coauthors=self.settings.max_coauthors,
                    max_invitations=self.settings.max_invitations_per_post,
                    now=now,
                ),
                snapshots=[invitee.user] if invitee.user else [],
            )
        except Problem:
            await self.counters.give_back(actor_id, invite_window(now)[0], 1)
            raise
        stored_after = await self.posts.get(post_id)
        users = await self.queries.users_for(
            stored_after or StoredPost(change.post), [actor_id, invitee.user_id], actor_id
        )
        return InvitationOut(
            id=invitation_id,
            post_id=post_id,
            inviter=users[actor_id],
            invitee=users[invitee.user_id],
            created_at=now,
            expires_at=at_storage_precision(
                now + timedelta(seconds=self.settings.invitation_ttl_seconds)
            ),
            credit=wanted_credit,
            post_text=change.post.text,
        )

    async def remove_coauthor(self, post_id: str, actor_id: str, handle: str) -> None:
        stored = await self.posts.existing(post_id)
        target_id = await self._coauthor_with_handle(stored, handle, actor_id)
        await self.core.apply(
            post_id,
            lambda post: remove_coauthor(post, actor_id, target_id, utc_now()),
        )

    async def remote_coauthor_invited(self, delivery: Delivery[RemoteCoauthorInvited]) -> None:
        """A remote author's invitation of a local account, added to their post here as any
        author's is (`post.coauthor_invited`, so the invitations service opens it), if the
        invitee's rules let that author invite them; refused otherwise
        (`post.coauthor_invitation_refused`, answered to the author's server as a decline). A
        repeat of an added one changes nothing."""
        invited = delivery.event
        if await self.withdrawn.was_withdrawn(invited.invitation_id):
            return  # its author took it back before it was added
        stored = await self.posts.get(invited.post_id)
        if stored is None:
            raise RemotePostNotTakenYet(invited.post_id)
        if stored.post.coauthor_by_invitation(invited.invitation_id) is not None:
            return
        [answer] = await self.users.by_ids(invited.author_id, [invited.invitee_id])
        if not answer.eligible:
            log.info("remote invitation refused", extra={"reason": answer.reason})
            await self._refuse(invited)
            return
        try:
            await self.core.apply(
                invited.post_id,
                lambda post: invite_coauthor(
                    post,
                    invited.author_id,
                    invitee_id=invited.invitee_id,
                    invitation_id=invited.invitation_id,
                    max_coauthors=self.settings.max_coauthors,
                    max_invitations=self.settings.max_invitations_per_post,
                    now=invited.invited_at,
                ),
                snapshots=[answer.user] if answer.user else [],
            )
        except Problem as refused:
            log.info("remote invitation not added", extra={"reason": refused.detail})
            await self._refuse(invited)
            return
        # A withdrawal handled meanwhile found no entry yet: it is taken off now.
        if await self.withdrawn.was_withdrawn(invited.invitation_id):
            await self._withdraw(invited.post_id, invited.invitation_id)

    async def _refuse(self, invited: RemoteCoauthorInvited) -> None:
        await self.core.apply_if_present(
            invited.post_id,
            lambda post: refuse_remote_invitation(
                post, invited.invitation_id, invited.invitee_id, utc_now()
            ),
        )

    async def remote_coauthor_left(self, delivery: Delivery[RemoteCoauthorLeft]) -> None:
        """A remote co-author withdrew their consent from their server: they leave, as a local
        co-author does (`post.coauthor_removed`, reason left); one not on the post is logged."""
        left = delivery.event
        try:
            await self.core.apply_if_present(
                left.post_id,
                lambda post: remove_coauthor(post, left.coauthor_id, left.coauthor_id, utc_now()),
            )
        except Problem as refused:
            log.info("remote co-author not on the post", extra={"reason": refused.detail})

    async def remote_invitation_withdrawn(
        self, delivery: Delivery[RemoteInvitationWithdrawn]
    ) -> None:
        """A remote author took their invitation back from their server: the entry goes as if
        they removed it here (`post.coauthor_removed`, revoked or removed). Remembered first,
        so an invitation whose event comes later (its post still on its way) is not added."""
        withdrawn = delivery.event
        await self.withdrawn.remember(withdrawn.invitation_id, utc_now())
        await self._withdraw(withdrawn.post_id, withdrawn.invitation_id)

    async def _withdraw(self, post_id: str, invitation_id: str) -> None:
        await self.core.apply_if_present(
            post_id, lambda post: withdraw_invitation(post, invitation_id, utc_now())
        )

    async def invitation_accepted(self, delivery: Delivery[InvitationAccepted]) -> None:
        accepted = delivery.event
        await self.core.apply_if_present(
            accepted.post_id,
            lambda post: accept_invitation(
                post, accepted.invitation_id, accepted.responded_at, utc_now()
            ),
        )

    async def invitation_ended(self, delivery: Delivery[InvitationEnded]) -> None:
        ended = delivery.event
        await self.core.apply_if_present(
            ended.post_id, lambda post: drop_invitation(post, ended.invitation_id, utc_now())
        )

    async def user_deleted(self, delivery: Delivery[UserDeleted]) -> None:
        """The account's posts are deleted, its credits and invitations elsewhere removed.

        Runs after the user directory has recorded the deletion: a post created meanwhile is
        undone by its author's tombstone (see authoring's create).
        """
        user_id, keep = delivery.event.user_id, delivery.event.keep_coauthored_posts
        for post_id in await self.coauthors.ids_involving(user_id):
            change = await self.core.apply_if_present(
                post_id, lambda post: remove_deleted_account(post, user_id, keep, utc_now())
            )
            if change is not None and change.post.is_deleted:
                await self.engagement.forget_likes_of(post_id)

    async def user_blocked(self, delivery: Delivery[UserBlocked]) -> None:
        """A block either way ends any credit or invitation between an author and the other."""
        block = delivery.event
        for post_id in await self.coauthors.ids_between(block.blocker_id, block.blocked_id):
            await self.core.apply_if_present(
                post_id,
                lambda post: separate_blocked_pair(
                    post, block.blocker_id, block.blocked_id, utc_now()
                ),
            )

    async def eligible_invitees(
        self, inviter_id: str, handles: Sequence[str]
    ) -> list[EligibleInvitee]:
        if not handles:
            return []
        answers = await self.users.by_handles(inviter_id, handles)
        check_invitees([_decision(answer) for answer in answers])
        return [EligibleInvitee.of(answer) for answer in answers]

    async def spend_invite_budget(self, user_id: str, count: int, now: datetime) -> None:
        if count == 0:
            return
        window_start, seconds_left = invite_window(now)
        total = await self.counters.add(user_id, window_start, count)
        try:
            check_invite_budget(total, self.settings.invites_per_hour, seconds_left)
        except InviteRateLimited:
            await self.counters.give_back(user_id, window_start, count)
            raise

    async def _coauthor_with_handle(
        self, stored: StoredPost, handle: str, caller_id: str
    ) -> str | None:
        """Whom `handle` names among the post's present and former co-authors and the caller.

        The caller is a candidate so that leaving a post one was never on is a 404, not a 403.
        """
        post = stored.post
        candidates = [*(c.user_id for c in post.coauthors), *post.former_coauthor_ids, caller_id]
        users = await self.queries.users_for(stored, candidates, caller_id)
        wanted = handle.strip().lower()
        return next((uid for uid, user in users.items() if user.handle == wanted), None)


def _decision(answer: EligibilityResult) -> Eligibility:
    return Eligibility(
        handle=answer.handle, user_id=answer.user_id, eligible=answer.eligible, reason=answer.reason
    )
