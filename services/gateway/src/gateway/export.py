"""`GET /v1/me/export`: everything CoPost holds about the signed-in person, as one zip.

The gateway asks each service that holds personal data for its files (`GET
/internal/personal-data`, signed for that service on behalf of the person,
`shared.personal_data`) and writes them into the archive described in docs/data-export.md.
A new source of personal data is one more entry in `EXPORT_SOURCES`. The files a person
uploaded are then copied, one signed `GET` each, from the media service into `media/`.

Memory stays bounded whatever the media weigh (up to the account's storage quota): each file
is written into the zip as it arrives, and the zip into a temporary file that spills to disk
past `ARCHIVE_MEMORY_BYTES`, which the answer then streams.
"""

import asyncio
import json
import tempfile
import zipfile
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
from pydantic import ValidationError
from starlette.concurrency import iterate_in_threadpool

from shared.identity import ASSERTION_HEADER, REQUEST_ID_HEADER, AssertionSigner
from shared.logging import request_id_var
from shared.personal_data import PERSONAL_DATA_PATH, PersonalData, personal_media_path
from shared.problems import BadGateway, ServiceUnavailable
from shared.services import Backend

ARCHIVE_FORMAT_VERSION = 1
ZIP_MEDIA_TYPE = "application/zip"
MEDIA_RECORDS = "media.json"

# The services holding personal data, each answering `GET /internal/personal-data`.
EXPORT_SOURCES: tuple[Backend, ...] = (
    Backend.USERS,
    Backend.POSTS,
    Backend.INVITATIONS,
    Backend.NOTIFICATIONS,
    Backend.MEDIA,
)
# Always in the archive, empty when there is nothing: a reader need not guess.
ARCHIVE_FILES = (
    "account.json",
    "posts.json",
    "replies.json",
    "likes.json",
    "follows.json",
    "blocks.json",
    "mutes.json",
    "invitations.json",
    "notifications.json",
    MEDIA_RECORDS,
)
MEDIA_README = (
    "The files you uploaded, each named by its id in media.json: a picture's largest version\n"
    "(JPEG or WebP), a video as processed (MP4). A video still processing has no file yet.\n"
)
# What the media service stores its files as (media.exporting): the extension in the archive.
MEDIA_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/png": ".png",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
}
# The archive is kept in memory up to this size, on disk beyond it.
ARCHIVE_MEMORY_BYTES = 8 * 1024 * 1024
STREAM_CHUNK_BYTES = 256 * 1024

type Archive = tempfile.SpooledTemporaryFile[bytes]


class DataExport:
    """Gathers a person's files from every source and writes the archive."""

    def __init__(
        self,
        clients: Mapping[Backend, httpx.AsyncClient],
        signer: AssertionSigner,
        sources: Sequence[Backend] = EXPORT_SOURCES,
    ) -> None:
        self._clients = clients
        self._signer = signer
        self._sources = sources

    async def archive(self, user_id: str, *, now: datetime | None = None) -> Archive:
        """The zip, rewound, in a temporary file the caller closes (`stream_archive`)."""
        answers = await asyncio.gather(*(self._files_of(s, user_id) for s in self._sources))
        files: dict[str, list[dict[str, Any]]] = {}
        for answer in answers:
            for name, records in answer.items():
                files.setdefault(name, []).extend(records)
        exported_at = now or datetime.now(UTC)
        # Closed by `stream_archive` once sent (or here, should the export fail).
        spool: Archive = tempfile.SpooledTemporaryFile(ARCHIVE_MEMORY_BYTES)  # noqa: SIM115
        try:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                write_records(archive, user_id, files, exported_at)
                for record in files.get(MEDIA_RECORDS, []):
                    if record.get("status") == "ready":
                        await self._copy_medium(archive, user_id, str(record["id"]), exported_at)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    def _signed(self, source: Backend, user_id: str, target: str) -> dict[str, str]:
        # Signed here, for the person: the client's own hook would sign with no user.
        request_id = request_id_var.get() or uuid4().hex
        return {
            REQUEST_ID_HEADER: request_id,
            ASSERTION_HEADER: self._signer.sign(
                source, request_id, user_id, method="GET", target=target
            ),
        }

    async def _files_of(self, source: Backend, user_id: str) -> dict[str, list[dict[str, Any]]]:
        headers = self._signed(source, user_id, PERSONAL_DATA_PATH)
        try:
            response = await self._clients[source].get(PERSONAL_DATA_PATH, headers=headers)
        except httpx.HTTPError as exc:
            # The hour's export is spent already (the limit is taken before the work), so
            # no Retry-After: the next 429 says when.
            raise ServiceUnavailable(
                f"The {source} service did not answer; try the export again later."
            ) from exc
        if response.status_code != 200:
            raise BadGateway(f"The {source} service could not give its part of the export.")
        try:
            return PersonalData.model_validate_json(response.content).files
        except ValidationError as exc:
            raise BadGateway(f"The {source} service answered its part unreadably.") from exc

    async def _copy_medium(
        self, archive: zipfile.ZipFile, user_id: str, media_id: str, exported_at: datetime
    ) -> None:
        """One uploaded file into `media/`, written as it arrives (stored: it is compressed)."""
        target = personal_media_path(media_id)
        headers = self._signed(Backend.MEDIA, user_id, target)
        try:
            async with self._clients[Backend.MEDIA].stream(
                "GET", target, headers=headers
            ) as response:
                if response.status_code == 404:
                    return  # deleted since it was listed
                content_type = response.headers.get("content-type", "")
                if response.status_code != 200 or content_type not in MEDIA_EXTENSIONS:
                    raise BadGateway("The media service could not give an uploaded file.")
                entry = zipfile.ZipInfo(
                    f"media/{media_id}{MEDIA_EXTENSIONS[content_type]}",
                    date_time=exported_at.timetuple()[:6],
                )
                with archive.open(entry, "w", force_zip64=True) as file:
                    async for chunk in response.aiter_bytes(STREAM_CHUNK_BYTES):
                        file.write(chunk)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                "The media service did not answer; try the export again later."
            ) from exc


async def stream_archive(archive: Archive) -> AsyncIterator[bytes]:
    """The archive's bytes for the answer, read off the event loop; closed at the end."""
    try:
        async for chunk in iterate_in_threadpool(
            iter(lambda: archive.read(STREAM_CHUNK_BYTES), b"")
        ):
            yield chunk
    finally:
        archive.close()


def write_records(
    archive: zipfile.ZipFile,
    user_id: str,
    files: Mapping[str, list[dict[str, Any]]],
    exported_at: datetime,
) -> None:
    """`export.json` (what this is), one JSON file per kind of record, `media/README.txt`."""
    names = [*ARCHIVE_FILES, *sorted(set(files) - set(ARCHIVE_FILES))]
    manifest = {
        "format": ARCHIVE_FORMAT_VERSION,
        "user_id": user_id,
        "exported_at": exported_at.isoformat(),
        "files": [*names, "media/"],
    }
    archive.writestr("export.json", _json(manifest))
    for name in names:
        records = files.get(name, [])
        # The account is one record; every other file a list of them.
        content: Any = (records[0] if records else None) if name == "account.json" else records
        archive.writestr(name, _json(content))
    archive.writestr("media/README.txt", MEDIA_README)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"
