"""Reading media: who may see one, and the Media object with the URLs that caller may use."""

from collections.abc import Sequence

from media.core.repository import MediaRepository
from media.core.signing import UrlSigner
from shared.clock import Clock, utc_now
from shared.mongo import Document
from shared.problems import NotFound
from shared.public_media import MediaOut, PostMediaIds, media_path


def media_out(document: Document, signer: UrlSigner, clock: Clock = utc_now) -> MediaOut:
    """Public media (attached to a published post) have plain paths; the others signed ones."""
    now = clock()
    variants = {
        name: media_path(document["_id"], name)
        if document.get("public")
        else signer.signed_path(document["_id"], name, now)
        for name in document.get("variants", {})
    }
    return MediaOut(
        id=document["_id"],
        kind=document["kind"],
        status=document["status"],
        alt_text=document.get("alt_text"),
        width=document.get("width"),
        height=document.get("height"),
        duration_s=document.get("duration_s"),
        blurhash=document.get("blurhash"),
        variants=variants,
    )


class MediaQueries:
    def __init__(self, repository: MediaRepository, signer: UrlSigner) -> None:
        self._repository = repository
        self.signer = signer

    async def get(self, media_id: str, user_id: str) -> MediaOut:
        return media_out(await self.visible_document(media_id, user_id), self.signer)

    async def previews(self, posts: Sequence[PostMediaIds]) -> list[MediaOut]:
        """The media still on the post each is asked with, with the URLs a caller the asking
        service vouches for may load: signed while the post is not published."""
        on_post = {media_id: wanted.post_id for wanted in posts for media_id in wanted.media_ids}
        found = await self._repository.alive_by_ids([*on_post])
        return [
            media_out(document, self.signer)
            for media_id, document in found.items()
            if document.get("post_id") == on_post[media_id] and document["status"] == "ready"
        ]

    async def visible_document(self, media_id: str, user_id: str) -> Document:
        """The medium, for its uploader or (once public) anyone; 404 for everyone else."""
        document = await self._repository.get_alive(media_id)
        if document is None or not (document["owner_id"] == user_id or document.get("public")):
            raise NotFound("There is no such medium.")
        return document
