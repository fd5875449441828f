"""Where media live: one metadata document per medium, its variants' bytes in GridFS."""

import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from gridfs import AsyncGridFSBucket, NoFile
from gridfs.asynchronous.grid_file import AsyncGridOut
from pymongo import ReturnDocument

from media.core.images import EncodedVariant
from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec, increment
from shared.outbox import with_events
from shared.personal_data import PersonalRecords

MEDIA = "media"
UPLOAD_COUNTS = "upload_counts"
BLOBS = "blobs"
# GridFS chunk size: a Range request reads only the chunks it needs.
CHUNK_BYTES = 255 * 1024

MEDIA_INDEXES = [
    IndexSpec(MEDIA, [("owner_id", 1), ("deleted_at", 1)]),
    IndexSpec(MEDIA, [("post_id", 1)]),
    IndexSpec(MEDIA, [("expires_at", 1)]),
    IndexSpec(MEDIA, [("deleted_at", 1)]),
    IndexSpec(MEDIA, [("status", 1), ("claimed_until", 1)]),
    IndexSpec(UPLOAD_COUNTS, [("expires_at", 1)], {"expireAfterSeconds": 0}),
    IndexSpec(f"{BLOBS}.files", [("metadata.media_id", 1)]),
]

# A medium nobody may see any more (post or account deleted, upload expired): 404 from now
# on; the sweep removes its files, then the document.
ALIVE: Mapping[str, Any] = {"deleted_at": None}

# One more at every edit of the alt text (absent: 1), so copies elsewhere know the newest.
ALT_TEXT_VERSION = "alt_text_version"


def alt_text_version(document: Document) -> int:
    return int(document.get(ALT_TEXT_VERSION) or 1)


# A person's uploads still kept (their files go into `media/` of the export beside this).
MEDIA_PERSONAL_DATA = (
    PersonalRecords("media.json", MEDIA, lambda user: {"owner_id": user, **ALIVE}),
)


class MediaRepository:
    def __init__(self, db: Database) -> None:
        self._media = db[MEDIA]
        self._counts = db[UPLOAD_COUNTS]

    async def insert(self, document: Document) -> None:
        await self._media.insert_one(document)

    async def get_alive(self, media_id: str) -> Document | None:
        return await self._media.find_one({"_id": media_id, **ALIVE})

    async def alive_by_ids(self, media_ids: list[str]) -> dict[str, Document]:
        found = self._media.find({"_id": {"$in": media_ids}, **ALIVE})
        return {document["_id"]: document async for document in found}

    async def attach(
        self, media_id: str, owner_id: str, post_id: str, *, public: bool, edit_id: str | None
    ) -> bool:
        """Puts the medium on the post unless it is on another one (its expiry no longer applies:
        only media on no post expire); `edit_id`: reserved for that proposed edit of the post."""
        result = await self._media.update_one(
            {"_id": media_id, "owner_id": owner_id, "post_id": {"$in": [None, post_id]}, **ALIVE},
            {"$set": {"post_id": post_id, "public": public, "edit_id": edit_id}},
        )
        return result.matched_count == 1

    async def release(
        self, post_id: str, media_ids: Sequence[str], *, edit_id: str | None = None
    ) -> None:
        """Gives back media a post took (they expire as uploads again): those a refused
        attachment took, or those an edit that did not apply reserved (`edit_id`: only while
        still reserved for it, not for a later proposal that took them again)."""
        selector: dict[str, Any] = {"_id": {"$in": [*media_ids]}, "post_id": post_id, **ALIVE}
        if edit_id is not None:
            selector["edit_id"] = edit_id
        await self._media.update_many(
            selector, {"$set": {"post_id": None, "public": False, "edit_id": None}}
        )

    async def take_alt_text(
        self, post_id: str, media_id: str, alt_text: str | None, version: int
    ) -> None:
        """An alt text changed by an applied edit of its post, unless the medium already has a
        newer one (a version as high)."""
        await self._media.update_one(
            {
                "_id": media_id,
                "post_id": post_id,
                # Absent is version 1: setting it again to version 1 rewrites the same text.
                "$or": [{ALT_TEXT_VERSION: {"$lt": version}}, {ALT_TEXT_VERSION: None}],
                **ALIVE,
            },
            {"$set": {"alt_text": alt_text, ALT_TEXT_VERSION: version}},
        )

    async def make_public(self, post_id: str) -> None:
        await self._media.update_many({"post_id": post_id, **ALIVE}, {"$set": {"public": True}})

    async def make_avatar(
        self, media_id: str, owner_id: str, variants: Mapping[str, Document], weight: int
    ) -> Document | None:
        """Adds the square variants; public for good, and no longer an upload that expires."""
        return await self._media.find_one_and_update(
            {"_id": media_id, **ALIVE},
            {
                "$set": {
                    **{f"variants.{name}": variant for name, variant in variants.items()},
                    "avatar_of": owner_id,
                    "public": True,
                },
                "$inc": {"bytes": weight},
            },
            return_document=ReturnDocument.AFTER,
        )

    async def delete_avatars_of(
        self, owner_id: str, now: datetime, *, keeping: str | None = None
    ) -> None:
        """The account's former profile pictures (all of them, or all but `keeping`)."""
        selector: dict[str, Any] = {"avatar_of": owner_id}
        if keeping is not None:
            selector["_id"] = {"$ne": keeping}
        await self.delete_where(selector, now)

    async def claim_video(self, now: datetime, until: datetime) -> Document | None:
        """A video waiting to be processed, taken by this replica until `until`."""
        return await self._media.find_one_and_update(
            {"kind": "video", "status": "processing", "claimed_until": {"$lte": now}, **ALIVE},
            {"$set": {"claimed_until": until}},
            return_document=ReturnDocument.AFTER,
        )

    async def finish_video(
        self, media_id: str, changes: Mapping[str, Any], events: Sequence[EventEnvelope]
    ) -> None:
        """The processed video (or its failure) and its event, in one write."""
        await self._media.update_one(
            {"_id": media_id, "status": "processing"},
            with_events({"$set": {**changes, "claimed_until": None}}, events),
        )

    async def update_alive(self, media_id: str, changes: Mapping[str, Any]) -> Document | None:
        return await self._media.find_one_and_update(
            {"_id": media_id, **ALIVE},
            {"$set": dict(changes)},
            return_document=ReturnDocument.AFTER,
        )

    async def set_alt_text(
        self, before: Document, alt_text: str | None, events: Sequence[EventEnvelope]
    ) -> Document | None:
        """The new alt text and its version, with the event announcing it, unless the medium
        changed (or went) since `before` was read."""
        version = alt_text_version(before)
        return await self._media.find_one_and_update(
            {"_id": before["_id"], ALT_TEXT_VERSION: before.get(ALT_TEXT_VERSION), **ALIVE},
            with_events({"$set": {"alt_text": alt_text, ALT_TEXT_VERSION: version + 1}}, events),
            return_document=ReturnDocument.AFTER,
        )

    async def stored_bytes_of(self, owner_id: str) -> int:
        """What an account's media weigh now (those being deleted still count until gone)."""
        totals = await self._media.aggregate(
            [
                {"$match": {"owner_id": owner_id}},
                {"$group": {"_id": None, "bytes": {"$sum": "$bytes"}}},
            ]
        )
        async for total in totals:
            return int(total["bytes"])
        return 0

    async def count_upload(self, owner_id: str, window: str, expires_at: datetime) -> int:
        """Counts one upload in the account's current window; returns the window's count."""
        counted = await increment(
            self._counts,
            f"{owner_id}:{window}",
            {"uploads": 1},
            on_insert={"expires_at": expires_at},
        )
        return int(counted["uploads"])

    async def delete_where(self, selector: Mapping[str, Any], now: datetime) -> int:
        """Makes matching media 404 at once; their files go at the next sweep."""
        result = await self._media.update_many({**selector, **ALIVE}, {"$set": {"deleted_at": now}})
        return result.modified_count

    async def expire_unattached(self, now: datetime) -> int:
        return await self.delete_where(
            {"post_id": None, "avatar_of": None, "expires_at": {"$lte": now}}, now
        )

    async def deleted(self, limit: int) -> list[Document]:
        return await self._media.find({"deleted_at": {"$ne": None}}).limit(limit).to_list()

    async def forget(self, media_id: str) -> None:
        await self._media.delete_one({"_id": media_id})


class BlobStore:
    """The variants' bytes in GridFS, each file tagged with its medium's id."""

    def __init__(self, db: Database) -> None:
        self._bucket = AsyncGridFSBucket(db, bucket_name=BLOBS, chunk_size_bytes=CHUNK_BYTES)
        self._files = db[f"{BLOBS}.files"]

    async def put(self, media_id: str, name: str, data: bytes, content_type: str) -> Any:
        return await self._bucket.upload_from_stream(
            f"{media_id}/{name}",
            data,
            metadata={"media_id": media_id, "content_type": content_type},
        )

    async def open(self, file_id: Any) -> AsyncGridOut | None:
        try:
            return await self._bucket.open_download_stream(file_id)
        except NoFile:
            return None

    async def store_variants(
        self, media_id: str, variants: Sequence[EncodedVariant]
    ) -> dict[str, Document]:
        """Each variant's file, and what the medium's record says of it."""
        stored = {}
        for variant in variants:
            file_id = await self.put(media_id, variant.name, variant.data, variant.content_type)
            stored[variant.name] = {
                "file_id": file_id,
                "content_type": variant.content_type,
                "bytes": len(variant.data),
                "etag": hashlib.sha256(variant.data).hexdigest()[:32],
                "width": variant.width,
                "height": variant.height,
            }
        return stored

    async def delete(self, file_id: Any) -> None:
        try:
            await self._bucket.delete(file_id)
        except NoFile:
            return

    async def read(self, file_id: Any) -> bytes | None:
        stream = await self.open(file_id)
        return None if stream is None else await stream.read()

    async def delete_all_of(self, media_id: str) -> None:
        async for found in self._files.find({"metadata.media_id": media_id}, {"_id": 1}):
            try:
                await self._bucket.delete(found["_id"])
            except NoFile:
                continue


async def chunks(stream: AsyncGridOut, start: int, length: int) -> AsyncIterator[bytes]:
    """`length` bytes of a stored file from `start`, a GridFS chunk at a time."""
    await stream.seek(start)
    left = length
    while left > 0:
        data = await stream.read(min(left, CHUNK_BYTES))
        if not data:
            return
        left -= len(data)
        yield data
