"""GET /users/{handle}/coauthorizations/{post_id}: a co-author's consent stamp."""

from fastapi import APIRouter, Response

from federation.components import Components
from federation.core.api import FEDERATION_ROUTE, activity_response
from federation.inbox.authorized_fetch import SIGNED_FETCH

router = APIRouter(tags=["federation"], dependencies=FEDERATION_ROUTE)

GONE = 410


@router.get(
    "/users/{handle}/coauthorizations/{post_id}", include_in_schema=False, dependencies=SIGNED_FETCH
)
async def coauthorization(handle: str, post_id: str, components: Components) -> Response:
    served = await components.consent.stamp(handle, post_id)
    return activity_response(served.document, status_code=GONE if served.gone else 200)
