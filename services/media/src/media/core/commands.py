"""Changing media after upload: alt text, and removal with the post or account they belong to."""

from media.attaching.rules import attached
from media.core.queries import MediaQueries, media_out
from media.core.repository import (
    ALT_TEXT_VERSION,
    BlobStore,
    MediaRepository,
    alt_text_version,
)
from shared.clock import Clock, utc_now
from shared.events.media import MediaAltTextChanged
from shared.events.posts import PostDeleted
from shared.events.users import UserDeleted
from shared.mongo import Document
from shared.outbox import Outbox
from shared.problems import Conflict, NotFound
from shared.public_media import MediaOut
from shared.subscriptions import Delivery

# Media whose files are removed per sweep pass.
SWEEP_BATCH = 100
# Two edits of one medium at once are rare; past this many the caller gets a 409.
MAX_WRITE_ATTEMPTS = 5


class MediaCommands:
    def __init__(
        self,
        repository: MediaRepository,
        blobs: BlobStore,
        queries: MediaQueries,
        outbox: Outbox,
        clock: Clock = utc_now,
    ) -> None:
        self._repository = repository
        self._blobs = blobs
        self._queries = queries
        self._outbox = outbox
        self._clock = clock

    async def set_alt_text(self, media_id: str, user_id: str, alt_text: str | None) -> MediaOut:
        """The uploader edits it (the post's author is the uploader: only one's own uploads are
        attached). On a post, `media.alt_text_changed` goes with the write, so the post and its
        cards follow."""
        text = (alt_text or "").strip() or None
        for _ in range(MAX_WRITE_ATTEMPTS):
            document = await self._queries.visible_document(media_id, user_id)
            if document["owner_id"] != user_id:
                raise NotFound("There is no such medium.")
            with self._outbox.publishing(*self._alt_text_changed(document, text)) as events:
                updated = await self._repository.set_alt_text(document, text, events)
            if updated is not None:
                return media_out(updated, self._queries.signer, self._clock)
        raise Conflict("The medium was changed concurrently; try again.")

    def _alt_text_changed(self, before: Document, text: str | None) -> list[MediaAltTextChanged]:
        post_id = before.get("post_id")
        if post_id is None:
            return []
        edited = {"alt_text": text, ALT_TEXT_VERSION: alt_text_version(before) + 1}
        return [
            MediaAltTextChanged(
                media_id=before["_id"],
                owner_id=before["owner_id"],
                post_id=post_id,
                medium=attached({**before, **edited}),
                changed_at=self._clock(),
            )
        ]

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
