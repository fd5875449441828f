"""Attaching uploads to a post (the posts service asks, signed), making them public when the
post is published, and following its edits: media an edit reserved, removed or re-captioned."""

from media.attaching.rules import attached, refusal_of
from media.core.repository import MediaRepository
from shared.events.posts import PostEdited, PostEditEnded, PostPublished
from shared.public_media import AttachAnswer, AttachRequest
from shared.subscriptions import Delivery


class AttachingCommands:
    def __init__(self, repository: MediaRepository) -> None:
        self._repository = repository

    async def attach(self, request: AttachRequest) -> AttachAnswer:
        """Idempotent for one post: asked again (a retried create), it answers the same.

        Each medium is taken with a conditional write (only if on no post, or on this one), so
        two posts racing for one upload cannot both get it; the loser gives back what it took.
        """
        found = await self._repository.alive_by_ids(request.media_ids)
        refusal = refusal_of(request.media_ids, found, request.owner_id, request.post_id)
        if refusal is not None:
            return AttachAnswer(refusal=refusal[0], media_id=refusal[1])
        taken: list[str] = []
        for media_id in request.media_ids:
            if not await self._repository.attach(
                media_id,
                request.owner_id,
                request.post_id,
                public=request.public,
                edit_id=request.edit_id,
            ):
                # Only what this request took: the post keeps the media it already carries.
                await self._repository.release(request.post_id, taken)
                return AttachAnswer(refusal="attached", media_id=media_id)
            taken.append(media_id)
        return AttachAnswer(media=[attached(found[media_id]) for media_id in request.media_ids])

    async def post_edited(self, delivery: Delivery[PostEdited]) -> None:
        """The media an applied edit took off the post go as a deleted post's do; the alt texts
        it changed become the media's own (the newer version wins). Idempotent."""
        event = delivery.event
        if event.removed_media_ids:
            await self._repository.delete_where(
                {"post_id": event.post_id, "_id": {"$in": [*event.removed_media_ids]}},
                event.edited_at,
            )
        for medium in event.media:
            await self._repository.take_alt_text(
                event.post_id, medium.id, medium.alt_text, medium.alt_text_version
            )

    async def edit_ended(self, delivery: Delivery[PostEditEnded]) -> None:
        """The uploads a rejected, expired or withdrawn edit reserved are free again."""
        event = delivery.event
        if event.released_media_ids:
            await self._repository.release(
                event.post_id, event.released_media_ids, edit_id=event.edit_id
            )

    async def post_published(self, delivery: Delivery[PostPublished]) -> None:
        """A pending post's media become public with it (idempotent)."""
        await self._repository.make_public(delivery.event.post_id)
