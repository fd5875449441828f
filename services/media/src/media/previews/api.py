"""The internal route the invitations service shows a post's media to its invitees with."""

from fastapi import APIRouter, Depends

from media.components import Components
from shared.identity import require_caller
from shared.public_media import PREVIEWS_PATH, PreviewsAnswer, PreviewsRequest
from shared.services import Backend

router = APIRouter(dependencies=[Depends(require_caller(Backend.INVITATIONS))])


@router.post(PREVIEWS_PATH)
async def preview_media(body: PreviewsRequest, components: Components) -> PreviewsAnswer:
    return PreviewsAnswer(media=await components.queries.previews(body.posts))
