"""A local post's Note, as remote servers fetch it (the same Note its Create carried)."""

from dataclasses import dataclass
from typing import Any

from federation.core.urls import LocalUrls
from federation.publishing.repository import PublishedNotes
from federation.publishing.rules import LocalPost, document_of, note_of
from shared.problems import NotFound
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class NoteQueries:
    urls: LocalUrls
    directory: UserDirectory
    notes: PublishedNotes

    async def note(self, post_id: str) -> dict[str, Any]:
        """404 for a post not published (or not yet known here), deleted, or whose author's
        account is gone."""
        post = await self.public_post(post_id)
        found = await self.directory.get_many([post.author_id, *post.coauthor_ids])
        if post.author_id not in found:
            raise NotFound("There is no such post here.")
        handles = {user_id: user.handle for user_id, user in found.items()}
        return document_of(note_of(post, handles, self.urls))

    async def public_post(self, post_id: str) -> LocalPost:
        stored = await self.notes.get(post_id)
        if stored is None or not stored.post.public:
            raise NotFound("There is no such post here.")
        return stored.post
