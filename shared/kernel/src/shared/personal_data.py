"""A person's own data as each service holds it, for the gateway's `GET /v1/me/export`.

A service declares, in its ServiceSpec, which of its records are about a person
(`PersonalRecords`: a file of the archive, a collection and the filter naming the person);
`create_service_app` then answers `GET /internal/personal-data` for the gateway, on behalf of
the signed-in user its assertion names, with `{"files": {file name: [records]}}`. Records are
the stored documents as they are (the person gets what CoPost holds, not a rendering of it),
with `_id` as `id`, without the events waiting in their outbox and without `hidden` fields
(secrets such as a password hash).

Uploaded files are bytes, not records: the media service lists them in `media.json` and
answers each one's file at `personal_media_path(id)`, for its owner only.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from shared.identity import CurrentUserId
from shared.mongo import Database, Document
from shared.outbox import WITHOUT_OUTBOX

PERSONAL_DATA_PATH = "/internal/personal-data"
# One uploaded file of the signed-in user, as their export carries it (the media service).
PERSONAL_MEDIA_PATH = "/internal/personal-data/media/{media_id}"
# A person's records of one kind, at most: an export is one answer, not a stream.
MAX_RECORDS_PER_FILE = 100_000


@dataclass(frozen=True, slots=True)
class PersonalRecords:
    """One file of the archive: the documents of `collection` that `about(user_id)` selects."""

    file: str
    collection: str
    about: Callable[[str], Document]
    hidden: tuple[str, ...] = ()


def personal_media_path(media_id: str) -> str:
    return PERSONAL_MEDIA_PATH.format(media_id=media_id)


class PersonalData(BaseModel):
    """`GET /internal/personal-data`: a service's files of the signed-in user's archive."""

    files: dict[str, list[dict[str, Any]]]


async def gather(
    db: Database, user_id: str, records: Sequence[PersonalRecords]
) -> dict[str, list[dict[str, Any]]]:
    """Every declared file of `user_id`, oldest record first where records are dated."""
    files: dict[str, list[dict[str, Any]]] = {}
    for kind in records:
        projection = {**WITHOUT_OUTBOX, **dict.fromkeys(kind.hidden, 0)}
        cursor = db[kind.collection].find(kind.about(user_id), projection).sort("_id", 1)
        documents = await cursor.to_list(MAX_RECORDS_PER_FILE)
        files.setdefault(kind.file, []).extend(_as_record(document) for document in documents)
    return files


def _as_record(document: Mapping[str, Any]) -> dict[str, Any]:
    record = {"id": document["_id"], **{k: v for k, v in document.items() if k != "_id"}}
    # Stored files are named by ObjectId (GridFS): their text is all the person can use.
    encoded: dict[str, Any] = jsonable_encoder(record, custom_encoder={ObjectId: str})
    return encoded


def personal_data_router(records: Sequence[PersonalRecords]) -> APIRouter:
    """The internal route answering the gateway with `records` of the user it names."""
    router = APIRouter(tags=["internal"])

    @router.get(PERSONAL_DATA_PATH)
    async def personal_data(user_id: CurrentUserId, request: Request) -> PersonalData:
        db: Database = request.app.state.runtime.db
        return PersonalData(files=await gather(db, user_id, records))

    return router
