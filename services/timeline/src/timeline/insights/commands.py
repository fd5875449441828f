"""What users' follow events change for the insights: the post a follow was made from."""

from dataclasses import dataclass

from shared.events.users import UserFollowed, UserUnfollowed
from shared.subscriptions import Delivery
from timeline.insights.repository import InsightsRepository


@dataclass(frozen=True, slots=True)
class InsightsCommands:
    insights: InsightsRepository

    async def user_followed(self, delivery: Delivery[UserFollowed]) -> None:
        follow = delivery.event
        await self.insights.record_attribution(
            follow.follower_id,
            follow.followee_id,
            active=True,
            as_of=follow.followed_at,
            via_post=follow.via_post,
        )

    async def user_unfollowed(self, delivery: Delivery[UserUnfollowed]) -> None:
        unfollow = delivery.event
        await self.insights.record_attribution(
            unfollow.follower_id, unfollow.followee_id, active=False, as_of=unfollow.unfollowed_at
        )
