"""The internal route the gateway copies a person's uploads into their data export with."""

from fastapi import APIRouter
from starlette.responses import StreamingResponse

from media.components import Components
from media.core.repository import chunks
from media.exporting.rules import exported_variant
from shared.identity import CurrentUserId
from shared.personal_data import PERSONAL_MEDIA_PATH
from shared.problems import NotFound

router = APIRouter()


@router.get(PERSONAL_MEDIA_PATH)
async def exported_file(
    media_id: str, user_id: CurrentUserId, components: Components
) -> StreamingResponse:
    """Only for the owner the gateway's assertion names: anyone else's is 404."""
    document = await components.repository.get_alive(media_id)
    variant = None if document is None else exported_variant(document, user_id)
    stream = None if variant is None else await components.blobs.open(variant["file_id"])
    if variant is None or stream is None:
        raise NotFound("There is no such medium.")
    size = int(variant["bytes"])
    return StreamingResponse(
        chunks(stream, 0, size),
        media_type=variant["content_type"],
        headers={"Content-Length": str(size)},
    )
