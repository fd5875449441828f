"""`GET /v1/me/export`: everything CoPost holds about the signed-in person, as one zip.

The gateway asks each service that holds personal data for its files (`GET
/internal/personal-data`, signed for that service on behalf of the person,
`shared.personal_data`) and writes them into the archive described in docs/data-export.md.
A new source of personal data is one more entry in `EXPORT_SOURCES`.
"""

import asyncio
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
from pydantic import ValidationError

from shared.identity import ASSERTION_HEADER, REQUEST_ID_HEADER, AssertionSigner
from shared.logging import request_id_var
from shared.personal_data import PERSONAL_DATA_PATH, PersonalData
from shared.problems import BadGateway, ServiceUnavailable
from shared.services import Backend

ARCHIVE_FORMAT_VERSION = 1
ZIP_MEDIA_TYPE = "application/zip"

# The services holding personal data, each answering `GET /internal/personal-data`.
EXPORT_SOURCES: tuple[Backend, ...] = (
    Backend.USERS,
    Backend.POSTS,
    Backend.INVITATIONS,
    Backend.NOTIFICATIONS,
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
)
MEDIA_README = (
    "The files you uploaded (images, videos) go in this folder. CoPost keeps no uploads yet,\n"
    "so it is empty.\n"
)


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

    async def archive(self, user_id: str, *, now: datetime | None = None) -> bytes:
        answers = await asyncio.gather(*(self._files_of(s, user_id) for s in self._sources))
        files: dict[str, list[dict[str, Any]]] = {}
        for answer in answers:
            for name, records in answer.items():
                files.setdefault(name, []).extend(records)
        return write_archive(user_id, files, now or datetime.now(UTC))

    async def _files_of(self, source: Backend, user_id: str) -> dict[str, list[dict[str, Any]]]:
        # Signed here, for the person: the client's own hook would sign with no user.
        request_id = request_id_var.get() or uuid4().hex
        headers = {
            REQUEST_ID_HEADER: request_id,
            ASSERTION_HEADER: self._signer.sign(
                source, request_id, user_id, method="GET", target=PERSONAL_DATA_PATH
            ),
        }
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


def write_archive(
    user_id: str, files: Mapping[str, list[dict[str, Any]]], exported_at: datetime
) -> bytes:
    """The zip: `export.json` (what this is), one JSON file per kind of record, `media/`."""
    names = [*ARCHIVE_FILES, *sorted(set(files) - set(ARCHIVE_FILES))]
    manifest = {
        "format": ARCHIVE_FORMAT_VERSION,
        "user_id": user_id,
        "exported_at": exported_at.isoformat(),
        "files": [*names, "media/"],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.json", _json(manifest))
        for name in names:
            records = files.get(name, [])
            # The account is one record; every other file a list of them.
            content: Any = (records[0] if records else None) if name == "account.json" else records
            archive.writestr(name, _json(content))
        archive.writestr("media/README.txt", MEDIA_README)
    return buffer.getvalue()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"
