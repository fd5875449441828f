"""The internal route the posts service attaches uploads to a new post with."""

from fastapi import APIRouter, Depends

from media.components import Components
from shared.identity import require_caller
from shared.public_media import ATTACH_PATH, AttachAnswer, AttachRequest
from shared.services import Backend

router = APIRouter(dependencies=[Depends(require_caller(Backend.POSTS))])


@router.post(ATTACH_PATH)
async def attach_media(body: AttachRequest, components: Components) -> AttachAnswer:
    return await components.attaching.attach(body)
