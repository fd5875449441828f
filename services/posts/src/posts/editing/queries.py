"""Reading edits: a post's latest proposal (for its credited authors) and its public history."""

from dataclasses import dataclass

from posts.core.queries import PostQueries
from posts.core.repository import PostRepository, StoredPost
from posts.core.rules import Post
from posts.editing.rules import EditNotFound, edited_media, history, require_credited, status_at
from posts.editing.schemas import ApprovalOut, EditOut, RevisionOut
from posts.engagement.rules import credited_author_ids
from shared.clock import utc_now


@dataclass(frozen=True, slots=True)
class EditingQueries:
    posts: PostRepository
    queries: PostQueries

    async def edits(self, post_id: str, viewer_id: str) -> list[EditOut]:
        """The post's latest proposal, if any (one at a time: a list of at most one), for its
        credited authors; none for anyone else who may see the post, so a post page asks
        without expecting a 404 (a co-author who just left included)."""
        post = await self.queries.require_seen_by(
            (await self.posts.existing(post_id)).post, viewer_id
        )
        if post.edit is None or viewer_id not in credited_author_ids(post):
            return []
        return [await self.render_edit(post, viewer_id)]

    async def edit(self, post_id: str, edit_id: str, viewer_id: str) -> EditOut:
        post = require_credited((await self.posts.existing(post_id)).post, viewer_id)
        if post.edit is None or post.edit.id != edit_id:
            raise EditNotFound()
        return await self.render_edit(post, viewer_id)

    async def history(self, post_id: str, viewer_id: str) -> list[RevisionOut]:
        stored = await self.posts.existing(post_id)
        post = await self.queries.require_seen_by(stored.post, viewer_id)
        return [
            RevisionOut(
                version=revision.version,
                text=revision.text,
                media=[item.out() for item in revision.media],
                edited_at=revision.edited_at,
            )
            for revision in history(post)
        ]

    async def render_edit(self, post: Post, viewer_id: str) -> EditOut:
        proposal = post.edit
        assert proposal is not None
        stored = await self.posts.get(post.id) or StoredPost(post)
        users = await self.queries.users_for(
            stored, [proposal.proposer_id, *(a.user_id for a in proposal.approvals)], viewer_id
        )
        previous = next((r.text for r in history(post) if r.version == proposal.base_version), None)
        return EditOut(
            id=proposal.id,
            post_id=post.id,
            proposer=users[proposal.proposer_id],
            text=proposal.text,
            media=[item.out() for item in edited_media(post, proposal)],
            status=status_at(proposal, utc_now()),
            approvals=[
                ApprovalOut(user=users[a.user_id], state=a.state) for a in proposal.approvals
            ],
            created_at=proposal.created_at,
            expires_at=proposal.expires_at,
            base_version=proposal.base_version,
            previous_text=previous,
        )
