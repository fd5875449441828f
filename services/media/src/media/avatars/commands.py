"""Profile pictures: one of the account's own pictures, cropped square into two sizes, public
for good; the previous one deleted. The users service asks, signed, on `PATCH /v1/me`."""

import asyncio

from media.core.images import ImageLimits, ImageRefused, ProcessedImage, process_image
from media.core.repository import BlobStore, MediaRepository
from media.settings import MediaSettings
from media.uploading.commands import ProcessingSlots
from shared.clock import Clock, utc_now
from shared.mongo import Document
from shared.public_media import AvatarAnswer, AvatarRequest, media_path
from shared.public_user import Avatar

SMALL, LARGE = "avatar_small", "avatar_large"


def avatar_of(document: Document) -> Avatar:
    return Avatar(
        small=media_path(document["_id"], SMALL), large=media_path(document["_id"], LARGE)
    )


class AvatarCommands:
    def __init__(
        self,
        settings: MediaSettings,
        repository: MediaRepository,
        blobs: BlobStore,
        slots: ProcessingSlots,
        clock: Clock = utc_now,
    ) -> None:
        self._repository = repository
        self._blobs = blobs
        self._slots = slots
        self._clock = clock
        self._limits = ImageLimits(
            max_pixels=settings.max_image_pixels,
            max_frames=settings.max_frames,
            sides={SMALL: settings.avatar_small_side, LARGE: settings.avatar_large_side},
            square=True,
        )

    async def set_avatar(self, request: AvatarRequest) -> AvatarAnswer:
        """Idempotent: the same picture again answers the same avatar."""
        if request.media_id is None:
            await self._repository.delete_avatars_of(request.owner_id, self._clock())
            return AvatarAnswer()
        document = await self._repository.get_alive(request.media_id)
        if document is None or document["owner_id"] != request.owner_id:
            return AvatarAnswer(refusal="unknown")
        if document["kind"] != "image" or document["status"] != "ready":
            return AvatarAnswer(refusal="not_a_picture")
        if document.get("avatar_of") != request.owner_id:
            cropped = await self._cropped(document)
            if cropped is None:
                return AvatarAnswer(refusal="not_a_picture")
            document = cropped
        await self._repository.delete_avatars_of(
            request.owner_id, self._clock(), keeping=request.media_id
        )
        return AvatarAnswer(avatar=avatar_of(document))

    async def _cropped(self, document: Document) -> Document | None:
        """The medium with its square sizes added; None when its picture cannot be read."""
        original = document["variants"]["original"]
        data = await self._blobs.read(original["file_id"])
        if data is None:
            return None
        async with self._slots.taken():
            try:
                processed: ProcessedImage = await asyncio.to_thread(
                    process_image, data, original["content_type"], self._limits
                )
            except ImageRefused:
                return None
        variants = await self._blobs.store_variants(document["_id"], processed.variants)
        weight = sum(variant["bytes"] for variant in variants.values())
        updated = await self._repository.make_avatar(
            document["_id"], document["owner_id"], variants, weight
        )
        return updated or document
