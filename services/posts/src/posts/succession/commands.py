"""The succession use cases: asking a co-author to take a post over, their answer, cancelling
the request, and the author's choice for this post when their account goes."""

from dataclasses import dataclass

from posts.core.commands import PostCommands, new_id
from posts.core.queries import PostQueries
from posts.core.rules import Post, require_visible
from posts.succession.rules import (
    HandoverAnswer,
    answer_handover,
    cancel_handover,
    choose_keeping,
    request_handover,
)
from posts.succession.schemas import HandoverOut
from shared.clock import utc_now
from shared.events.users import KeepCoauthoredPosts
from shared.public_post import PostOut
from shared.public_user import PublicUser


@dataclass(frozen=True, slots=True)
class SuccessionCommands:
    core: PostCommands
    queries: PostQueries

    async def request(self, post_id: str, actor_id: str, to_handle: str) -> PostOut:
        to_user = await self._coauthor_by_handle(post_id, actor_id, to_handle)
        request_id, now = new_id(), utc_now()
        change = await self.core.apply(
            post_id,
            lambda post: request_handover(
                post, actor_id, to_user.id if to_user else None, request_id, now
            ),
        )
        return await self.queries.render_after(change, actor_id)

    async def answer(self, post_id: str, actor_id: str, answer: HandoverAnswer) -> PostOut:
        if answer == "accepted":
            await self.core.require_live_account(actor_id)
        now = utc_now()
        change = await self.core.apply(
            post_id, lambda post: answer_handover(post, actor_id, answer, now)
        )
        return await self.queries.render_after(change, actor_id)

    async def cancel(self, post_id: str, actor_id: str) -> None:
        now = utc_now()
        await self.core.apply(post_id, lambda post: cancel_handover(post, actor_id, now))

    async def choose_keeping(
        self, post_id: str, actor_id: str, keep: KeepCoauthoredPosts | None
    ) -> None:
        await self.core.apply(post_id, lambda post: choose_keeping(post, actor_id, keep))

    async def latest(self, post_id: str, viewer_id: str) -> list[HandoverOut]:
        """The latest request, for the author and the co-author asked; none for anyone else
        who may see the post, so a post page asks without expecting a 404."""
        stored = await self.queries.posts.existing(post_id)
        post = require_visible(stored.post, viewer_id)
        request = post.handover
        if request is None or viewer_id not in (post.author_id, request.to_user_id):
            return []
        users = await self.queries.users_for(stored, [request.to_user_id], viewer_id)
        return [
            HandoverOut(
                post_id=post.id,
                to=users[request.to_user_id],
                status=request.status,
                created_at=request.created_at,
                answered_at=request.answered_at,
            )
        ]

    async def _coauthor_by_handle(
        self, post_id: str, actor_id: str, handle: str
    ) -> PublicUser | None:
        stored = await self.queries.posts.existing(post_id)
        post: Post = stored.post
        ids = [c.user_id for c in post.coauthors]
        users = await self.queries.users_for(stored, ids, actor_id)
        wanted = handle.strip().lower()
        return next((u for u in users.values() if u.handle == wanted), None)
