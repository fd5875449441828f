"""Feature availability over internal HTTP: posts asks what an account may use now."""

from fastapi import APIRouter, Depends

from shared.eligibility import FEATURES_PATH, Features, FeaturesRequest
from shared.identity import require_caller
from users.components import Components

internal_router = APIRouter(tags=["internal"])


@internal_router.post(FEATURES_PATH, dependencies=[Depends(require_caller("posts"))])
async def features(body: FeaturesRequest, components: Components) -> Features:
    return await components.availability.of_user(body.user_id, body.country)
