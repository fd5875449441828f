"""Putting the caller's uploads on a new post, or reserving them for a proposed edit of one:
the media service's word (shared.media_client).

The media service owns the uploads; a post keeps the metadata of those it carries (what its
events and the timeline's cards carry too), so rendering a post never asks for them again.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from posts.core.rules import InvalidPost
from shared.media_client import MediaClient
from shared.problems import Conflict, NotFound
from shared.public_media import AttachedMedia


@dataclass(frozen=True, slots=True)
class MediaAttachments:
    media: MediaClient

    async def attach(
        self,
        owner_id: str,
        post_id: str,
        media_ids: Sequence[str],
        *,
        public: bool,
        edit_id: str | None = None,
    ) -> tuple[AttachedMedia, ...]:
        """The media, in the order given, now on the post (`edit_id`: reserved for that proposed
        edit of it); asked again for the same post (a retried request) it answers the same.
        Someone else's upload is 404, one on another post 409."""
        if not media_ids:
            return ()
        answer = await self.media.attach(
            owner_id, post_id, media_ids, public=public, edit_id=edit_id
        )
        match answer.refusal:
            case None:
                return tuple(answer.media)
            case "unknown":
                raise NotFound(f"No such medium: {answer.media_id}.")
            case "attached":
                raise Conflict(f"The medium {answer.media_id} is already on a post.")
            case "not_ready":
                raise Conflict(f"The medium {answer.media_id} is not ready yet.")
            case "composition":
                raise InvalidPost("A post carries up to 4 pictures, or 1 video, each once.")
