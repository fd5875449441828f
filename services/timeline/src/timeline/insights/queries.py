"""Reading a post's insights: what it did for each of its credited authors."""

from dataclasses import dataclass

from shared.user_directory import UserDirectory
from timeline.core.repository import PostCardRepository
from timeline.engagement.repository import LikeRepository
from timeline.fanout.repository import FollowRepository
from timeline.insights.repository import InsightsRepository
from timeline.insights.rules import InsightsNotFound, compute_insights
from timeline.insights.schemas import AuthorInsightsOut, InsightsOut


@dataclass(frozen=True, slots=True)
class InsightsQueries:
    cards: PostCardRepository
    insights: InsightsRepository
    likes: LikeRepository
    directory: UserDirectory
    follows: FollowRepository

    async def insights_of(self, post_id: str, viewer_id: str) -> InsightsOut:
        """For the post's credited authors only; anyone else is told there is no such post."""
        card = (await self.cards.published([post_id])).get(post_id)
        if card is None or viewer_id not in card.reaching_authors():
            raise InsightsNotFound()
        authors = card.reaching_authors()
        figures = compute_insights(
            authors,
            await self.insights.reach_of(post_id),
            await self.likes.likers_of(post_id),
            await self.follows.follows_from(post_id),
        )
        users = await self.directory.get_many(authors)
        return InsightsOut(
            post_id=post_id,
            reached=figures.reached,
            likes=card.like_count,
            replies=card.reply_count,
            remixes=card.remix_count,
            authors=[
                AuthorInsightsOut(
                    user=users[author.author_id],
                    audience=author.audience,
                    exclusive_audience=author.exclusive_audience,
                    likes_from_audience=author.likes_from_audience,
                    new_followers=author.new_followers,
                )
                for author in figures.authors
                if author.author_id in users
            ],
        )
