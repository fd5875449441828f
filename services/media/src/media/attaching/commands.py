"""Attaching uploads to a post (the posts service asks, signed) and making them public when
the post is published."""

from media.attaching.rules import attached, refusal_of
from media.core.repository import MediaRepository
from shared.events.posts import PostPublished
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
        for media_id in request.media_ids:
            taken = await self._repository.attach(
                media_id, request.owner_id, request.post_id, public=request.public
            )
            if not taken:
                await self._repository.release(request.post_id)
                return AttachAnswer(refusal="attached", media_id=media_id)
        return AttachAnswer(media=[attached(found[media_id]) for media_id in request.media_ids])

    async def post_published(self, delivery: Delivery[PostPublished]) -> None:
        """A pending post's media become public with it (idempotent)."""
        await self._repository.make_public(delivery.event.post_id)
