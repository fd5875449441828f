"""A local post's Note, as remote servers fetch it (the same Note its Create carried), and a
local user's outbox: the Creates of the posts they published, newest first, a page at a time."""

from dataclasses import dataclass
from typing import Any

from federation.coauthoring.repository import RemoteInvitations
from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls
from federation.publishing.repository import PublishedNotes
from federation.publishing.rules import (
    LocalPost,
    RemoteCoauthor,
    create_of,
    document_of,
    note_of,
)
from federation.quotes.queries import QuoteQueries
from shared.pagination import time_and_id_cursor, time_and_id_position
from shared.problems import NotFound
from shared.public_user import PublicUser
from shared.remote_accounts import is_remote_user_id
from shared.user_directory import UserDirectory

OUTBOX_PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class NoteQueries:
    urls: LocalUrls
    directory: UserDirectory
    notes: PublishedNotes
    quotes: QuoteQueries
    remote_invitations: RemoteInvitations

    async def note(self, post_id: str) -> dict[str, Any]:
        """404 for a post not published (or not yet known here), deleted, or whose author's
        account is gone."""
        post = await self.public_post(post_id)
        found = await self.directory.get_many([post.author_id, *post.coauthor_ids])
        if post.author_id not in found:
            raise NotFound("There is no such post here.")
        handles = {user_id: user.handle for user_id, user in found.items()}
        remote = await self._remote_coauthors(post)
        quoting = await self.quotes.note_fields(post)
        return document_of(note_of(post, handles, self.urls, remote, quoting))

    async def outbox(self, handle: str) -> dict[str, Any]:
        """The collection: how many, and where its first page is (Mastodon's shape)."""
        user = await self._local_user(handle)
        outbox = self.urls.outbox(user.handle)
        return {
            "@context": AS_CONTEXT,
            "id": outbox,
            "type": "OrderedCollection",
            "totalItems": await self.notes.count_published(user.id),
            "first": f"{outbox}?page=true",
        }

    async def outbox_page(self, handle: str, cursor: str | None) -> dict[str, Any]:
        """One page of the author's Creates, newest first; `next` while more are left. Only
        the posts they authored: co-authored ones are in their authors' outboxes."""
        user = await self._local_user(handle)
        outbox = self.urls.outbox(user.handle)
        posts = await self.notes.published_by(
            user.id, before=time_and_id_position(cursor), limit=OUTBOX_PAGE_SIZE + 1
        )
        shown = posts[:OUTBOX_PAGE_SIZE]
        coauthors = await self.directory.get_many(c for p in shown for c in p.coauthor_ids)
        handles = {user.id: user.handle} | {i: u.handle for i, u in coauthors.items()}
        page: dict[str, Any] = {
            "@context": AS_CONTEXT,
            "id": f"{outbox}?page=true" + (f"&cursor={cursor}" if cursor else ""),
            "type": "OrderedCollectionPage",
            "partOf": outbox,
            "orderedItems": [
                create_of(
                    note_of(
                        post,
                        handles,
                        self.urls,
                        await self._remote_coauthors(post),
                        await self.quotes.note_fields(post),
                    ),
                    user.handle,
                    self.urls,
                )
                for post in shown
            ],
        }
        last = shown[-1] if len(posts) > OUTBOX_PAGE_SIZE else None
        if last is not None and last.published_at is not None:
            next_cursor = time_and_id_cursor(last.published_at, last.post_id)
            page["next"] = f"{outbox}?page=true&cursor={next_cursor}"
        return page

    async def _remote_coauthors(self, post: LocalPost) -> dict[str, RemoteCoauthor]:
        """Asked only of posts that credit someone not on this server (most credit nobody)."""
        if not any(is_remote_user_id(c) for c in post.coauthor_ids):
            return {}
        return await self.remote_invitations.coauthors_of(post.post_id)

    async def _local_user(self, handle: str) -> PublicUser:
        user = await self.directory.by_handle(handle)
        if user is None:
            raise NotFound("There is no such account here.")
        return user

    async def public_post(self, post_id: str) -> LocalPost:
        stored = await self.notes.get(post_id)
        if stored is None or not stored.post.public:
            raise NotFound("There is no such post here.")
        return stored.post
