"""Reading engagement: the thread under a post and who likes it."""

from dataclasses import dataclass

from posts.core.queries import PostQueries, one_page
from posts.core.repository import PostRepository
from posts.engagement.repository import LikeRepository, ReplyRepository, like_id
from posts.engagement.rules import require_engageable
from shared.internal_http import EligibilityClient
from shared.pagination import Page, time_and_id_cursor, time_and_id_position
from shared.public_post import PostOut
from shared.public_user import PublicUser
from shared.relations import RelationReplica
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class EngagementQueries:
    posts: PostRepository
    likes: LikeRepository
    threads: ReplyRepository
    queries: PostQueries
    directory: UserDirectory
    users: EligibilityClient
    # Whose replies a viewer does not see: the accounts it blocks, and those it mutes.
    blocks: RelationReplica
    mutes: RelationReplica

    async def replies(
        self, post_id: str, viewer_id: str, limit: int, cursor: str | None
    ) -> Page[PostOut]:
        await self._parent_seen_by(post_id, viewer_id)
        hidden = await self.blocks.targets_of(viewer_id) | await self.mutes.targets_of(viewer_id)
        found = await self.threads.page(
            post_id, hidden_authors=hidden, after=time_and_id_position(cursor), limit=limit + 1
        )
        page, next_cursor = one_page(found, limit)
        return Page(items=await self.queries.render_all(page, viewer_id), next_cursor=next_cursor)

    async def likers(
        self, post_id: str, viewer_id: str, limit: int, cursor: str | None
    ) -> Page[PublicUser]:
        liker_ids, next_cursor = await self._likers_page(post_id, viewer_id, limit, cursor)
        found = await self.directory.get_many(liker_ids)
        missing = [user_id for user_id in liker_ids if user_id not in found]
        if missing:
            for answer in await self.users.by_ids(viewer_id, missing):
                if answer.user is not None:
                    found[answer.user.id] = answer.user
        items = [found[user_id] for user_id in liker_ids if user_id in found]
        return Page(items=items, next_cursor=next_cursor)

    async def _likers_page(
        self, post_id: str, viewer_id: str, limit: int, cursor: str | None
    ) -> tuple[list[str], str | None]:
        """The ids of the post's visible likers, newest first, and the next cursor."""
        await self._parent_seen_by(post_id, viewer_id)
        likes = await self.likes.visible_page(post_id, time_and_id_position(cursor), limit + 1)
        page, more = likes[:limit], len(likes) > limit
        next_cursor = None
        if more and page:
            next_cursor = time_and_id_cursor(
                page[-1].changed_at, like_id(post_id, page[-1].user_id)
            )
        return [like.user_id for like in page], next_cursor

    async def _parent_seen_by(self, post_id: str, viewer_id: str) -> None:
        stored = await self.posts.get(post_id)
        post = require_engageable(stored.post if stored else None, viewer_id)
        await self.queries.require_seen_by(post, viewer_id)
