"""One medium over HTTP: GET and PATCH /v1/media/{id}."""

from fastapi import APIRouter

from media.components import Components
from media.core.schemas import MediaUpdate
from shared.identity import CurrentUserId
from shared.openapi import problems
from shared.public_media import MediaOut

router = APIRouter(prefix="/v1/media", tags=["media"])


@router.get("/{media_id}", name="get", responses=problems(404))
async def get_media(media_id: str, user_id: CurrentUserId, components: Components) -> MediaOut:
    return await components.queries.get(media_id, user_id)


@router.patch("/{media_id}", name="update", responses=problems(404))
async def update_media(
    media_id: str, body: MediaUpdate, user_id: CurrentUserId, components: Components
) -> MediaOut:
    return await components.media.set_alt_text(media_id, user_id, body.alt_text)
