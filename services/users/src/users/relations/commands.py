"""The relations use cases: follow, block and mute (and undo them), each change written with
its event (the outbox); remote accounts' follows of local ones, as the federation service
reports them, made the same follows; and a remote account's move, its local followers moved."""

import contextlib
import logging
from dataclasses import dataclass

from shared.clock import utc_now
from shared.events.federation import (
    RemoteAccountMoved,
    RemoteFollowReceived,
    RemoteFollowRejected,
    RemoteUnfollowReceived,
)
from shared.events.users import (
    UserBlocked,
    UserFollowed,
    UserMuted,
    UserUnblocked,
    UserUnfollowed,
    UserUnmuted,
)
from shared.outbox import Outbox
from shared.subscriptions import Delivery
from users.core.queries import account_by_handle, own_account
from users.core.repository import Account, AccountRepository
from users.relations.repository import FollowWrite, RelationRepository
from users.relations.rules import (
    FollowBlocked,
    RemoteAccountNotYetKnown,
    ensure_may_block,
    ensure_may_follow,
    ensure_may_mute,
)
from users.remote.commands import RemoteAccountCommands

log = logging.getLogger(__name__)

# A follow's write again after its document changed under it (a hint cleared, an unfollow).
MAX_FOLLOW_WRITES = 5


@dataclass(frozen=True, slots=True)
class RelationCommands:
    accounts: AccountRepository
    relations: RelationRepository
    outbox: Outbox
    remote: RemoteAccountCommands

    async def follow(self, follower_id: str, handle: str, via_post: str | None = None) -> None:
        """A remote account (`user@host`) not known here yet is looked up first."""
        follower = await own_account(self.accounts, follower_id)
        followee = await account_by_handle(self.accounts, handle, look_up=self.remote.look_up)
        await self._follow(follower, followee, via_post)

    async def remote_follow_received(self, delivery: Delivery[RemoteFollowReceived]) -> None:
        """A remote account's Follow is a follow like any other (counted, `user.followed`); one
        a block forbids is not made (logged; its server was accepted already)."""
        followed = delivery.event
        follower = await self.accounts.account(followed.follower_id)
        if follower is None:
            # Its federation.remote_account_seen is on its way (retried until it arrived).
            raise RemoteAccountNotYetKnown(followed.follower_id)
        followee = await self.accounts.account(followed.followee_id)
        if followee is None:
            return
        try:
            await self._follow(follower, followee, None)
        except FollowBlocked:
            log.info("remote follow refused by a block", extra={"activity": followed.activity_id})

    async def remote_unfollow_received(self, delivery: Delivery[RemoteUnfollowReceived]) -> None:
        unfollowed = delivery.event
        await self._remove_follow(unfollowed.follower_id, unfollowed.followee_id)

    async def remote_follow_rejected(self, delivery: Delivery[RemoteFollowRejected]) -> None:
        """A remote account refused (or later ended) a local account's follow of it."""
        rejected = delivery.event
        await self._remove_follow(rejected.follower_id, rejected.followee_id)

    async def remote_account_moved(self, delivery: Delivery[RemoteAccountMoved]) -> None:
        """As Mastodon moves them: the local accounts following the old account follow the new
        one (unless a block forbids it) and no longer the old one."""
        moved = delivery.event
        new = await self.accounts.account(moved.to_user_id)
        if new is None:
            raise RemoteAccountNotYetKnown(moved.to_user_id)
        for follower_id in await self.relations.follower_ids(moved.from_user_id):
            follower = await self.accounts.account(follower_id)
            if follower is None or follower.domain is not None:
                continue
            with contextlib.suppress(FollowBlocked):
                await self._follow(follower, new, None)
            await self._remove_follow(follower.id, moved.from_user_id)

    async def _follow(self, follower: Account, followee: Account, via_post: str | None) -> None:
        """The follow is written where no block is hinted (`RelationRepository`): no read of
        the blocks before it unless a hint is found."""
        ensure_may_follow(is_self=follower.id == followee.id, blocked_either_way=False)
        for _ in range(MAX_FOLLOW_WRITES):
            at = utc_now()
            followed = UserFollowed(
                follower_id=follower.id, followee_id=followee.id, followed_at=at, via_post=via_post
            )
            with self.outbox.publishing(followed) as events:
                written = await self.relations.activate_follow(follower.id, followee.id, at, events)
            if written is FollowWrite.MADE:
                break
            if written is FollowWrite.ALREADY:
                return
            if written is FollowWrite.HINTED_BLOCKED:
                await self._ensure_may_follow(follower, followee)
                # No block is left: the hint outlived its block (an unblock interrupted).
                await self.relations.clear_block_hint(follower.id, followee.id)
        else:
            raise RuntimeError(f"follow {follower.id}:{followee.id} kept changing")
        # A block written before its hint, while this follow was written, must win: look
        # again, undo if so.
        if await self.relations.blocked_either_way(follower.id, followee.id):
            await self._remove_follow(follower.id, followee.id)
            raise FollowBlocked()

    async def unfollow(self, follower_id: str, handle: str) -> None:
        follower = await own_account(self.accounts, follower_id)
        followee = await account_by_handle(self.accounts, handle)
        await self._remove_follow(follower.id, followee.id)

    async def block(self, blocker_id: str, handle: str) -> None:
        blocker = await own_account(self.accounts, blocker_id)
        blocked = await account_by_handle(self.accounts, handle)
        ensure_may_block(is_self=blocker.id == blocked.id)
        at = utc_now()
        event = UserBlocked(blocker_id=blocker.id, blocked_id=blocked.id, blocked_at=at)
        # The hint first: interrupted here, it outlives no block (a follow finds none, clears
        # it); a follow written after it is refused, one written before it is ended below.
        await self.relations.hint_block(blocker.id, blocked.id)
        with self.outbox.publishing(event) as events:
            await self.relations.activate_block(blocker.id, blocked.id, at, events)
        # Also on a repeated block: it finishes what an interrupted one left undone.
        await self._remove_follow(blocker.id, blocked.id)
        await self._remove_follow(blocked.id, blocker.id)

    async def unblock(self, blocker_id: str, handle: str) -> None:
        blocker = await own_account(self.accounts, blocker_id)
        blocked = await account_by_handle(self.accounts, handle)
        at = utc_now()
        event = UserUnblocked(blocker_id=blocker.id, blocked_id=blocked.id, unblocked_at=at)
        with self.outbox.publishing(event) as events:
            await self.relations.deactivate_block(blocker.id, blocked.id, at, events)
        # Also on a repeated unblock (it finishes an interrupted one). A block made meanwhile
        # may lose its hint here: the follow's own check after its write still sees it.
        if not await self.relations.blocked_either_way(blocker.id, blocked.id):
            await self.relations.clear_block_hint(blocker.id, blocked.id)

    async def mute(self, muter_id: str, handle: str) -> None:
        muter = await own_account(self.accounts, muter_id)
        muted = await account_by_handle(self.accounts, handle)
        ensure_may_mute(is_self=muter.id == muted.id)
        event = UserMuted(muter_id=muter.id, muted_id=muted.id, muted_at=utc_now())
        with self.outbox.publishing(event) as events:
            await self.relations.activate_mute(muter.id, muted.id, event.muted_at, events)

    async def unmute(self, muter_id: str, handle: str) -> None:
        muter = await own_account(self.accounts, muter_id)
        muted = await account_by_handle(self.accounts, handle)
        event = UserUnmuted(muter_id=muter.id, muted_id=muted.id, unmuted_at=utc_now())
        with self.outbox.publishing(event) as events:
            await self.relations.deactivate_mute(muter.id, muted.id, event.unmuted_at, events)

    async def _ensure_may_follow(self, follower: Account, followee: Account) -> None:
        ensure_may_follow(
            is_self=follower.id == followee.id,
            blocked_either_way=await self.relations.blocked_either_way(follower.id, followee.id),
        )

    async def _remove_follow(self, follower_id: str, followee_id: str) -> None:
        at = utc_now()
        event = UserUnfollowed(follower_id=follower_id, followee_id=followee_id, unfollowed_at=at)
        with self.outbox.publishing(event) as events:
            await self.relations.deactivate_follow(follower_id, followee_id, at, events)
