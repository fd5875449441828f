"""Uploading a medium: refuse what must be refused early, process within bounded slots, store."""

import asyncio
import mimetypes
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from bson import ObjectId

from media.core.images import (
    IMAGE_FORMATS,
    ImageLimits,
    ImageRefused,
    ProcessedImage,
    process_image,
)
from media.core.queries import MediaQueries, media_out
from media.core.repository import BlobStore, MediaRepository
from media.core.videos import VIDEO_CONTAINERS, VideoRefused, VideoToolsMissing, probe_video
from media.settings import MediaSettings
from shared.clock import Clock, utc_now
from shared.mongo import Document
from shared.problems import (
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unprocessable,
    UnsupportedMediaType,
)
from shared.public_media import MediaOut

GENERIC_TYPES = frozenset({"", "application/octet-stream"})
RATE_WINDOW_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    content_type: str | None
    filename: str | None
    alt_text: str | None


class ProcessingSlots:
    """Uploads processed at once by this replica; one more is refused at once, not queued."""

    def __init__(self, slots: int, retry_after_seconds: int) -> None:
        self._free = slots
        self._retry_after_seconds = retry_after_seconds

    @property
    def all_taken(self) -> bool:
        return self._free <= 0

    @asynccontextmanager
    async def taken(self) -> AsyncIterator[None]:
        if self._free <= 0:
            raise ServiceUnavailable(
                "Every processing slot is busy; retry shortly.",
                headers={"Retry-After": str(self._retry_after_seconds)},
            )
        self._free -= 1
        try:
            yield
        finally:
            self._free += 1


def claimed_type(upload: Upload) -> str:
    """The type the client claims: the part's Content-Type, else its file name's extension."""
    declared = (upload.content_type or "").split(";", 1)[0].strip().lower()
    if declared not in GENERIC_TYPES:
        return declared
    guessed, _ = mimetypes.guess_type(upload.filename or "")
    return (guessed or "").lower()


class UploadCommands:
    def __init__(
        self,
        settings: MediaSettings,
        repository: MediaRepository,
        blobs: BlobStore,
        queries: MediaQueries,
        slots: ProcessingSlots,
        videos_waiting: Callable[[], None],
        clock: Clock = utc_now,
    ) -> None:
        """`videos_waiting` wakes the video processing (a stored video waits for it)."""
        self._videos_waiting = videos_waiting
        self._settings = settings
        self._repository = repository
        self._blobs = blobs
        self._queries = queries
        self._clock = clock
        self.slots = slots
        # Uploads this replica holds, from their arrival (before their body is read) to their
        # answer: beyond the slots, the next is refused at once, unread. Behind the gateway,
        # which relays a body only once it has it whole, holding one costs no waiting on a
        # slow client.
        self.admissions = ProcessingSlots(
            settings.processing_slots, settings.processing_retry_after_seconds
        )
        self._limits = ImageLimits(
            max_pixels=settings.max_image_pixels,
            max_frames=settings.max_frames,
            sides={
                "small": settings.small_max_side,
                "large": settings.large_max_side,
                "original": settings.original_max_side,
            },
        )

    async def upload(self, owner_id: str, upload: Upload) -> MediaOut:
        content_type = self._accepted_type(upload)
        if content_type in VIDEO_CONTAINERS:
            return await self._upload_video(owner_id, upload, content_type)
        if len(upload.data) > self._settings.max_image_bytes:
            raise PayloadTooLarge(
                f"A picture may weigh at most {self._settings.max_image_bytes} bytes."
            )
        await self._count_upload(owner_id)
        async with self.slots.taken():
            processed = await self._processed(upload.data, content_type)
        weight = sum(len(variant.data) for variant in processed.variants)
        used = await self._repository.stored_bytes_of(owner_id)
        if used + weight > self._settings.storage_quota_bytes:
            raise PayloadTooLarge(
                "This account's media storage is full: delete posts with media to make room."
            )
        document = await self._stored(owner_id, upload, processed, weight)
        return media_out(document, self._queries.signer, self._clock)

    async def _upload_video(self, owner_id: str, upload: Upload, content_type: str) -> MediaOut:
        """Checked now (ffprobe: 422 when not what it claims), processed in the background."""
        settings = self._settings
        if len(upload.data) > settings.max_video_bytes:
            raise PayloadTooLarge(f"A video may weigh at most {settings.max_video_bytes} bytes.")
        await self._count_upload(owner_id)
        async with self.slots.taken():
            try:
                probed = await probe_video(
                    settings.ffprobe_path, upload.data, content_type, settings.max_video_seconds
                )
            except VideoRefused as refused:
                raise Unprocessable(refused.detail) from None
            except VideoToolsMissing:
                raise UnsupportedMediaType(
                    "This server does not take videos (no ffmpeg)."
                ) from None
        used = await self._repository.stored_bytes_of(owner_id)
        if used + len(upload.data) > settings.storage_quota_bytes:
            raise PayloadTooLarge(
                "This account's media storage is full: delete posts with media to make room."
            )
        now = self._clock()
        media_id = str(ObjectId())
        document = {
            **self._new_record(media_id, owner_id, upload, now),
            "kind": "video",
            "width": probed.width,
            "height": probed.height,
            "duration_s": probed.duration_s,
            "bytes": len(upload.data),
            # Nobody takes it before its file is stored (a crash meanwhile: it expires).
            "claimed_until": None,
        }
        await self._repository.insert(document)
        source = await self._blobs.put(media_id, "source", upload.data, content_type)
        # From now on any replica may take it (`claim_video`).
        ready = await self._repository.update_alive(
            media_id, {"source_file_id": source, "claimed_until": now}
        )
        self._videos_waiting()
        return media_out(ready or document, self._queries.signer, self._clock)

    def _new_record(self, media_id: str, owner_id: str, upload: Upload, now: datetime) -> Document:
        return {
            "_id": media_id,
            "owner_id": owner_id,
            "status": "processing",
            "alt_text": (upload.alt_text or "").strip() or None,
            "duration_s": None,
            "variants": {},
            "created_at": now,
            "expires_at": now + timedelta(seconds=self._settings.unattached_expiry_seconds),
            "post_id": None,
            "public": False,
            "deleted_at": None,
        }

    def _accepted_type(self, upload: Upload) -> str:
        content_type = claimed_type(upload)
        if content_type in IMAGE_FORMATS:
            return content_type
        if content_type in VIDEO_CONTAINERS:
            return content_type
        accepted = ", ".join([*IMAGE_FORMATS, *VIDEO_CONTAINERS])
        raise UnsupportedMediaType(
            f"Files of type {content_type or 'unknown'} are not accepted (accepted: {accepted})."
        )

    async def _count_upload(self, owner_id: str) -> None:
        now = self._clock()
        window_start = now.replace(minute=0, second=0, microsecond=0)
        window_end = window_start + timedelta(seconds=RATE_WINDOW_SECONDS)
        count = await self._repository.count_upload(
            owner_id, window_start.strftime("%Y%m%d%H"), window_end
        )
        if count > self._settings.uploads_per_hour:
            raise TooManyRequests(
                f"At most {self._settings.uploads_per_hour} uploads an hour.",
                retry_after_seconds=int((window_end - now).total_seconds()) + 1,
            )

    async def _processed(self, data: bytes, content_type: str) -> ProcessedImage:
        try:
            return await asyncio.to_thread(process_image, data, content_type, self._limits)
        except ImageRefused as refused:
            raise Unprocessable(refused.detail) from None

    async def _stored(
        self, owner_id: str, upload: Upload, processed: ProcessedImage, weight: int
    ) -> Document:
        """Recorded first (a crash leaves a record that expires, and its files with it), then
        the files, then ready."""
        now = self._clock()
        media_id = str(ObjectId())
        await self._repository.insert(
            {
                **self._new_record(media_id, owner_id, upload, now),
                "kind": "image",
                "width": processed.width,
                "height": processed.height,
                "blurhash": processed.blurhash,
                "bytes": weight,
            }
        )
        variants = await self._blobs.store_variants(media_id, processed.variants)
        ready = await self._repository.update_alive(
            media_id, {"status": "ready", "variants": variants}
        )
        if ready is None:
            raise Unprocessable("The upload was removed while it was stored.")
        return ready
