"""Local users following remote actors: a follow made in the users service (`user.followed`
of a remote account) sends a signed Follow through the delivery queue; the remote Accept is
recorded; its Reject (or a later Undo of its Accept) is told to the users service, which
ends the follow; an unfollow there sends Undo(Follow). Each change is one write carrying what
it sends."""

import logging
from dataclasses import dataclass
from typing import Any

from federation.core.activities import local_delivery
from federation.core.remote import RemoteActor, RemoteActors
from federation.core.urls import LocalUrls
from federation.followees.repository import RemoteFollowees
from federation.followees.rules import answered_follow_id, follow_sent, local_follows_remote
from shared.clock import utc_now
from shared.events.federation import RemoteFollowRejected
from shared.events.users import UserFollowed, UserUnfollowed
from shared.outbox import Outbox
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FolloweeCommands:
    urls: LocalUrls
    directory: UserDirectory
    actors: RemoteActors
    followees: RemoteFollowees
    outbox: Outbox

    async def user_followed(self, delivery: Delivery[UserFollowed]) -> None:
        followed = delivery.event
        if not local_follows_remote(followed):
            return
        user = await self.directory.get(followed.follower_id)
        actor = await self.actors.by_user_id(followed.followee_id)
        if user is None or actor is None:
            log.warning("follow of a remote account not sent", extra={"user": followed.follower_id})
            return
        if await self.followees.active(user.id, followed.followee_id):
            return  # sent already (a repeated delivery)
        sent = local_delivery("Follow", user.id, user.handle, actor.id, actor.inbox, self.urls)
        followee = {
            "follower_id": user.id,
            "followee_id": followed.followee_id,
            "actor_id": actor.id,
            "inbox": actor.inbox,
            "follow_id": sent.activity["id"],
            "followed_at": followed.followed_at,
        }
        with self.outbox.publishing(sent) as events:
            await self.followees.start(followee, events)

    async def accepted(self, accept: dict[str, Any], sender: RemoteActor) -> None:
        follow_id = answered_follow_id(accept)
        followee = (
            await self.followees.active_by_follow(sender.id, follow_id) if follow_id else None
        )
        if followee is not None:
            await self.followees.accept(followee, utc_now())

    async def rejected(self, answer: dict[str, Any], sender: RemoteActor) -> None:
        """A Reject of the Follow, or an Undo of its Accept: the follow ends here too."""
        follow_id = answered_follow_id(answer)
        followee = (
            await self.followees.active_by_follow(sender.id, follow_id) if follow_id else None
        )
        if followee is None:
            return
        now = utc_now()
        rejected = RemoteFollowRejected(
            activity_id=answer.get("id") or followee["follow_id"],
            follower_id=followee["follower_id"],
            followee_id=followee["followee_id"],
            rejected_at=now,
        )
        with self.outbox.publishing(rejected) as events:
            await self.followees.end(followee, now, events)

    async def user_unfollowed(self, delivery: Delivery[UserUnfollowed]) -> None:
        """Undo(Follow) to the remote server; nothing once the remote server ended it itself."""
        unfollowed = delivery.event
        if not local_follows_remote(unfollowed):
            return
        followee = await self.followees.active(unfollowed.follower_id, unfollowed.followee_id)
        user = await self.directory.get(unfollowed.follower_id)
        if followee is None or user is None:
            return
        follow = follow_sent(followee, user.handle, self.urls)
        undo = local_delivery("Undo", user.id, user.handle, follow, followee["inbox"], self.urls)
        with self.outbox.publishing(undo) as events:
            await self.followees.end(followee, unfollowed.unfollowed_at, events)

    async def forget_user(self, user_id: str) -> None:
        await self.followees.forget_user(user_id)
