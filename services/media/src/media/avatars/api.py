"""The internal route the users service sets profile pictures with."""

from fastapi import APIRouter, Depends

from media.components import Components
from shared.identity import require_caller
from shared.public_media import AVATAR_PATH, AvatarAnswer, AvatarRequest
from shared.services import Backend

router = APIRouter(dependencies=[Depends(require_caller(Backend.USERS))])


@router.post(AVATAR_PATH)
async def set_avatar(body: AvatarRequest, components: Components) -> AvatarAnswer:
    return await components.avatars.set_avatar(body)
