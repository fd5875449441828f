"""Remote actors following and unfollowing local users, told to the users service (whose
follows they are) as facts; and a follow the users service ended (a block) answered to the
remote server with a Reject.

Blocks are the users service's; this service learns them as facts (`user.blocked` and
`user.unblocked`, kept in a block replica) rather than asking: a Follow from an account its
local user blocks is answered with a Reject and never told to the users service, and a block
arriving after a Follow was accepted here (the event still on its way) rejects that follow
then, whether or not the users service had made it a follow."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.core.activities import local_delivery
from federation.core.keys import ActorKeys
from federation.core.remote import RemoteActor, account_seen
from federation.core.urls import LocalUrls
from federation.following.repository import RemoteFollowers
from federation.following.rules import (
    follow_answered,
    follow_ended,
    followed_handle,
    undone_follow,
)
from shared.clock import utc_now
from shared.events.federation import (
    RemoteFollowReceived,
    RemoteUnfollowReceived,
)
from shared.events.users import UserBlocked, UserUnfollowed
from shared.outbox import Outbox
from shared.problems import NotFound
from shared.relations import RelationReplica
from shared.remote_accounts import is_remote_user_id, remote_user_id
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class FollowingCommands:
    urls: LocalUrls
    directory: UserDirectory
    keys: ActorKeys
    followers: RemoteFollowers
    blocks: RelationReplica
    outbox: Outbox

    async def follow(self, follow: dict[str, Any], sender: RemoteActor) -> None:
        """Stores the follower and queues its Accept and the fact in one write; the POST is
        the relay's. A Follow of a user who blocks its actor is rejected instead, kept only as
        ended (the write that carries the Reject), and the users service hears nothing."""
        handle = followed_handle(follow, self.urls)
        user = await self.directory.by_handle(handle) if handle else None
        if user is None:
            raise NotFound("The Follow is about no account here.")
        now = utc_now()
        follower = _follower(follow, sender, user.id, now)
        if await self.blocks.active_pairs([(user.id, follower["follower_id"])]):
            ended = follow_ended(follower, user.handle, self.urls)
            reject = local_delivery("Reject", user.id, user.handle, ended, sender.inbox, self.urls)
            with self.outbox.publishing(reject) as events:
                await self.followers.add(follower, events, undone_at=now)
            return
        answered = follow_answered(follow)
        accept = local_delivery("Accept", user.id, user.handle, answered, sender.inbox, self.urls)
        followed = RemoteFollowReceived(
            activity_id=follow["id"],
            follower_id=follower["follower_id"],
            followee_id=user.id,
            followed_at=now,
        )
        # An actor that can be no account here (no usable username) follows for deliveries
        # only: the users service would wait for an account that never comes.
        told = [followed] if account_seen(sender, now) is not None else []
        with self.outbox.publishing(accept, *told) as events:
            await self.followers.add(follower, events)

    async def undo_follow(self, undo: dict[str, Any], sender: RemoteActor) -> None:
        follow_id, followed = undone_follow(undo)
        handle = self.urls.handle_of(followed) if followed else None
        user = await self.directory.by_handle(handle) if handle else None
        now = utc_now()
        for follower in await self.followers.active(
            sender.id, follow_id=follow_id, user_id=user.id if user else None
        ):
            unfollowed = RemoteUnfollowReceived(
                activity_id=undo["id"],
                follower_id=remote_user_id(sender.id),
                followee_id=follower["user_id"],
                unfollowed_at=now,
            )
            with self.outbox.publishing(unfollowed) as events:
                await self.followers.undo(follower, now, events)

    async def user_unfollowed(self, delivery: Delivery[UserUnfollowed]) -> None:
        """A remote follower's follow ended here (the followee blocked it): its server is told
        with a Reject of the Follow, and nothing is delivered to it for that follow any more.
        Once the Undo that ended it was taken, nothing is left to end."""
        unfollowed = delivery.event
        await self._reject(unfollowed.followee_id, unfollowed.follower_id, unfollowed.unfollowed_at)

    async def user_blocked(self, delivery: Delivery[UserBlocked]) -> None:
        """A remote account a local user blocks is no follower of theirs any more: usually the
        users service's `user.unfollowed` ended it already, but not a Follow taken here before
        this block was known (the users service never made it a follow)."""
        block = delivery.event
        await self._reject(block.blocker_id, block.blocked_id, block.blocked_at)

    async def _reject(self, user_id: str, follower_id: str, at: datetime) -> None:
        """Ends the remote account's active follows of the local user with a Reject each."""
        if not is_remote_user_id(follower_id):
            return
        user = await self.directory.get(user_id)
        if user is None:
            return
        for follower in await self.followers.of_follower(user.id, follower_id):
            ended = follow_ended(follower, user.handle, self.urls)
            inbox = follower["inbox"]
            reject = local_delivery("Reject", user.id, user.handle, ended, inbox, self.urls)
            with self.outbox.publishing(reject) as events:
                await self.followers.undo(follower, at, events)


def _follower(
    follow: dict[str, Any], sender: RemoteActor, user_id: str, at: datetime
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "actor_id": sender.id,
        "follower_id": remote_user_id(sender.id),
        "inbox": sender.inbox,
        "shared_inbox": sender.shared_inbox,
        "follow_id": follow.get("id"),
        "followed_at": at,
    }
