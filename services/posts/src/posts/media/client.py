"""The media service's word on a post's media (shared.media_client): putting the caller's
uploads on a new post or reserving them for a proposed edit of one, and the URLs a pending
post's media are loaded with.

The media service owns the uploads; a post keeps the metadata of those it carries (what its
events and the timeline's cards carry too), so rendering a published post never asks for them
again. A pending post's media are not public yet: those who may see the post get them signed.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from posts.core.rules import InvalidPost, Post, can_view
from shared.media_client import MediaClient
from shared.problems import BadGateway, Conflict, GatewayTimeout, NotFound, ServiceUnavailable
from shared.public_media import AttachedMedia, MediaOut, PostMediaIds

log = logging.getLogger(__name__)


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


@dataclass(frozen=True, slots=True)
class PendingMediaUrls:
    media: MediaClient

    async def signed_for(self, posts: Sequence[Post], viewer_id: str) -> dict[str, MediaOut]:
        """The Media objects, with signed URLs, of the media on those of these posts that are
        pending and that the viewer may see: one call to the media service for them all, none
        when there are none (published posts never ask). Without the media service, none: the
        post is still answered (its media then show no URLs, see `media_out`)."""
        wanted = {
            post.id: PostMediaIds(post_id=post.id, media_ids=[item.id for item in post.media])
            for post in posts
            if post.status == "pending" and post.media and can_view(post, viewer_id)
        }
        if not wanted:
            return {}
        try:
            answer = await self.media.previews(list(wanted.values()))
        except (BadGateway, GatewayTimeout, ServiceUnavailable) as exc:
            log.warning("pending posts shown without their media's URLs: %s", exc)
            return {}
        return {medium.id: medium for medium in answer.media}


def media_out(post: Post, signed: dict[str, MediaOut]) -> list[MediaOut]:
    """A published post's media with their public paths. A pending post's with the signed URLs
    found for them; one the media service did not sign (it was down, or the medium is gone)
    keeps its alt text, size and blurhash but shows no URL rather than one that answers 404."""
    if post.status != "pending":
        return [item.out() for item in post.media]
    return [
        signed.get(item.id) or item.out().model_copy(update={"variants": {}}) for item in post.media
    ]
