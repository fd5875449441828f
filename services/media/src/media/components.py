"""The media service's composition root: each capability's use cases, built once."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from media.attaching.commands import AttachingCommands
from media.avatars.commands import AvatarCommands
from media.core.commands import MediaCommands
from media.core.queries import MediaQueries
from media.core.repository import BlobStore, MediaRepository
from media.core.signing import UrlSigner
from media.processing.commands import VideoProcessing
from media.settings import MediaSettings
from media.uploading.commands import ProcessingSlots, UploadCommands
from shared.periodic import PeriodicTask, running
from shared.service_app import Kernel, components_dependency


@dataclass(frozen=True, slots=True)
class MediaComponents:
    repository: MediaRepository
    blobs: BlobStore
    queries: MediaQueries
    media: MediaCommands
    uploads: UploadCommands
    attaching: AttachingCommands
    avatars: AvatarCommands
    # The largest upload body read: the larger kind's limit and the form around it.
    body_limit_bytes: int


@asynccontextmanager
async def compose(kernel: Kernel[MediaSettings]) -> AsyncIterator[MediaComponents]:
    settings = kernel.settings
    repository = MediaRepository(kernel.db)
    blobs = BlobStore(kernel.db)
    signer = UrlSigner(
        settings.url_signing_key.get_secret_value().encode(), settings.signed_url_seconds
    )
    queries = MediaQueries(repository, signer)
    media = MediaCommands(repository, blobs, queries, kernel.outbox)
    # Shared by uploads and profile pictures: what one replica decodes at once.
    slots = ProcessingSlots(settings.processing_slots, settings.processing_retry_after_seconds)
    sweep = PeriodicTask("media-sweep", media.sweep, interval_seconds=settings.media_sweep_seconds)
    videos = VideoProcessing(settings, repository, blobs, slots, kernel.outbox)
    processing = PeriodicTask(
        "media-videos", videos.process_waiting, interval_seconds=settings.media_sweep_seconds
    )
    async with running(sweep, processing):
        yield MediaComponents(
            repository=repository,
            blobs=blobs,
            queries=queries,
            media=media,
            uploads=UploadCommands(settings, repository, blobs, queries, slots, processing.wake),
            attaching=AttachingCommands(repository),
            avatars=AvatarCommands(settings, repository, blobs, slots),
            body_limit_bytes=max(settings.max_image_bytes, settings.max_video_bytes)
            + settings.multipart_overhead_bytes,
        )


Components = Annotated[MediaComponents, Depends(components_dependency(MediaComponents))]
