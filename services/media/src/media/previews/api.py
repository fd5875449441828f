"""The internal route a pending post's media are shown with to those who may see the post: its
invitees in their invitations (the invitations service), its author and invitees in the post
itself (the posts service). Each caller vouches for whom it shows them to."""

from fastapi import APIRouter, Depends

from media.components import Components
from shared.identity import require_caller
from shared.public_media import PREVIEWS_PATH, PreviewsAnswer, PreviewsRequest
from shared.services import Backend

router = APIRouter(dependencies=[Depends(require_caller(Backend.INVITATIONS, Backend.POSTS))])


@router.post(PREVIEWS_PATH)
async def preview_media(body: PreviewsRequest, components: Components) -> PreviewsAnswer:
    return PreviewsAnswer(media=await components.queries.previews(body.posts))
