"""Remote actors following and unfollowing local users."""

from dataclasses import dataclass
from typing import Any

from federation.core.keys import ActorKeys
from federation.core.remote import RemoteActor
from federation.core.urls import LocalUrls
from federation.following.repository import RemoteFollowers
from federation.following.rules import accept_of, followed_handle, undone_follow
from shared.clock import utc_now
from shared.events.federation import ActivityDeliveryRequested
from shared.outbox import Outbox
from shared.problems import NotFound
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class FollowingCommands:
    urls: LocalUrls
    directory: UserDirectory
    keys: ActorKeys
    followers: RemoteFollowers
    outbox: Outbox

    async def follow(self, follow: dict[str, Any], sender: RemoteActor) -> None:
        """Stores the follower and queues its Accept in one write; the POST is the relay's."""
        handle = followed_handle(follow, self.urls)
        user = await self.directory.by_handle(handle) if handle else None
        if user is None:
            raise NotFound("The Follow is about no account here.")
        accept = accept_of(follow, user.handle, self.urls)
        delivery = ActivityDeliveryRequested(
            sender_id=user.id,
            key_id=self.urls.key_id(user.handle),
            inbox=sender.inbox,
            activity=accept,
            requested_at=utc_now(),
        )
        follower = {
            "user_id": user.id,
            "actor_id": sender.id,
            "inbox": sender.inbox,
            "shared_inbox": sender.shared_inbox,
            "follow_id": follow.get("id"),
            "followed_at": utc_now(),
        }
        with self.outbox.publishing(delivery) as events:
            await self.followers.add(follower, events)

    async def undo_follow(self, undo: dict[str, Any], sender: RemoteActor) -> None:
        follow_id, followed = undone_follow(undo)
        handle = self.urls.handle_of(followed) if followed else None
        user = await self.directory.by_handle(handle) if handle else None
        await self.followers.remove(
            sender.id, follow_id=follow_id, user_id=user.id if user else None
        )
