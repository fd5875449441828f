"""Reading remixes: a post's approved remixes, and the requests to remix one's posts."""

from collections.abc import Sequence
from dataclasses import dataclass

from posts.core.queries import PostQueries, one_page
from posts.core.repository import PostRepository, StoredPost
from posts.core.rules import can_view
from posts.remixing.repository import RemixRepository
from posts.remixing.schemas import RemixRequestOut
from shared.events.posts import RemixStatus
from shared.pagination import Page, time_and_id_position
from shared.public_post import PostOut


@dataclass(frozen=True, slots=True)
class RemixingQueries:
    posts: PostRepository
    remix_links: RemixRepository
    queries: PostQueries

    async def remixes(
        self, original_id: str, viewer_id: str, limit: int, cursor: str | None
    ) -> Page[PostOut]:
        await self.queries.require_seen_by((await self.posts.existing(original_id)).post, viewer_id)
        found = await self.remix_links.approved_remixes(
            original_id, time_and_id_position(cursor), limit + 1
        )
        page, next_cursor = one_page(found, limit)
        return Page(items=await self.queries.render_all(page, viewer_id), next_cursor=next_cursor)

    async def remix_requests(
        self, viewer_id: str, status: RemixStatus | None, limit: int, cursor: str | None
    ) -> Page[RemixRequestOut]:
        """Requests to remix the posts the viewer may answer for, waiting or answered."""
        originals = await self.remix_links.ids_answerable_by(viewer_id)
        found = await self.remix_links.remix_requests(
            originals, status, time_and_id_position(cursor), limit + 1
        )
        page, next_cursor = one_page(found, limit)
        return Page(items=await self.render_requests(page, viewer_id), next_cursor=next_cursor)

    async def render_requests(
        self, remixes: Sequence[StoredPost], viewer_id: str
    ) -> list[RemixRequestOut]:
        """Requests with their remix and original (when the viewer may see it), in batches."""
        rendered = await self.queries.render_all(remixes, viewer_id)
        links = [remix.post.remix_of for remix in remixes]
        found = await self.posts.many({link.original_id for link in links if link})
        visible = [o for o in found.values() if can_view(o.post, viewer_id)]
        originals = {post.id: post for post in await self.queries.render_all(visible, viewer_id)}
        requests = []
        for remix, link in zip(rendered, links, strict=True):
            assert link is not None
            assert link.request_id is not None
            requests.append(
                RemixRequestOut(
                    id=link.request_id,
                    remix=remix,
                    original=originals.get(link.original_id),
                    status=link.status,
                    created_at=link.requested_at,
                )
            )
        return requests
