"""Processing videos in the background: any replica takes a waiting one, makes the web-safe
MP4 and its poster, and announces the outcome (`media.processed`) with the same write."""

from datetime import timedelta

from media.core.images import EncodedVariant
from media.core.repository import BlobStore, MediaRepository
from media.core.videos import ProcessedVideo, VideoTools, VideoToolsMissing, process_video
from media.settings import MediaSettings
from media.uploading.commands import ProcessingSlots
from shared.clock import Clock, utc_now
from shared.events.media import MediaProcessed
from shared.mongo import Document
from shared.outbox import Outbox


class VideoProcessing:
    def __init__(
        self,
        settings: MediaSettings,
        repository: MediaRepository,
        blobs: BlobStore,
        slots: ProcessingSlots,
        outbox: Outbox,
        clock: Clock = utc_now,
    ) -> None:
        self._settings = settings
        self._repository = repository
        self._blobs = blobs
        self._slots = slots
        self._outbox = outbox
        self._clock = clock
        self._tools = VideoTools(ffprobe=settings.ffprobe_path, ffmpeg=settings.ffmpeg_path)

    async def process_waiting(self) -> None:
        """Every video waiting, one at a time; when every slot is busy, at the next pass."""
        while not self._slots.all_taken:
            now = self._clock()
            until = now + timedelta(seconds=self._settings.video_processing_seconds)
            document = await self._repository.claim_video(now, until)
            if document is None:
                return
            async with self._slots.taken():
                await self._process(document)

    async def _processed(self, data: bytes) -> ProcessedVideo | None:
        try:
            return await process_video(
                self._tools,
                data,
                self._settings.video_max_side,
                self._settings.video_processing_seconds,
            )
        except VideoToolsMissing:
            return None

    async def _process(self, document: Document) -> None:
        media_id = document["_id"]
        source_id = document.get("source_file_id")
        data = await self._blobs.read(source_id) if source_id is not None else None
        processed = await self._processed(data) if data is not None else None
        changes: dict[str, object] = {"status": "failed"}
        if processed is not None:
            variants = await self._blobs.store_variants(
                media_id,
                [
                    EncodedVariant(
                        "video", "video/mp4", processed.video, processed.width, processed.height
                    ),
                    EncodedVariant(
                        "poster", "image/jpeg", processed.poster, processed.width, processed.height
                    ),
                ],
            )
            changes = {
                "status": "ready",
                "variants": variants,
                "width": processed.width,
                "height": processed.height,
                "bytes": len(processed.video) + len(processed.poster),
            }
        event = MediaProcessed(
            media_id=media_id,
            owner_id=document["owner_id"],
            status="ready" if processed is not None else "failed",
            processed_at=self._clock(),
        )
        with self._outbox.publishing(event) as envelopes:
            await self._repository.finish_video(media_id, changes, envelopes)
        if source_id is not None:
            await self._blobs.delete(source_id)
