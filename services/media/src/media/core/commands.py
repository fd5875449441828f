"""Changing media after upload: alt text, and removal with the post or account they belong to."""

from media.core.queries import MediaQueries, media_out
from media.core.repository import BlobStore, MediaRepository
from shared.clock import Clock, utc_now
from shared.events.posts import PostDeleted
from shared.events.users import UserDeleted
from shared.problems import NotFound
from shared.public_media import MediaOut
from shared.subscriptions import Delivery

# Media whose files are removed per sweep pass.
SWEEP_BATCH = 100


class MediaCommands:
    def __init__(
        self,
        repository: MediaRepository,
        blobs: BlobStore,
        queries: MediaQueries,
        clock: Clock = utc_now,
    ) -> None:
        self._repository = repository
        self._blobs = blobs
        self._queries = queries
        self._clock = clock

    async def set_alt_text(self, media_id: str, user_id: str, alt_text: str | None) -> MediaOut:
        """The uploader edits it (the post's author is the uploader: only one's own uploads are
        attached)."""
        document = await self._queries.visible_document(media_id, user_id)
        if document["owner_id"] != user_id:
            raise NotFound("There is no such medium.")
        text = (alt_text or "").strip() or None
        updated = await self._repository.update_alive(media_id, {"alt_text": text})
        if updated is None:
            raise NotFound("There is no such medium.")
        return media_out(updated, self._queries.signer, self._clock)

    async def post_deleted(self, delivery: Delivery[PostDeleted]) -> None:
        """Its media answer 404 at once; the sweep removes their files. Idempotent."""
        await self._repository.delete_where({"post_id": delivery.event.post_id}, self._clock())

    async def user_deleted(self, delivery: Delivery[UserDeleted]) -> None:
        await self._repository.delete_where({"owner_id": delivery.event.user_id}, self._clock())

    async def sweep(self) -> None:
        """Expired uploads become deleted; deleted media lose their files, then their record."""
        await self._repository.expire_unattached(self._clock())
        for document in await self._repository.deleted(SWEEP_BATCH):
            await self._blobs.delete_all_of(document["_id"])
            await self._repository.forget(document["_id"])
