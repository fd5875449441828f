"""GET /posts/{id}: a local post's Note."""

from fastapi import APIRouter, Response

from federation.components import Components
from federation.core.api import FEDERATION_ROUTE, activity_response

router = APIRouter(tags=["federation"], dependencies=FEDERATION_ROUTE)


@router.get("/posts/{post_id}", include_in_schema=False)
async def note(post_id: str, components: Components) -> Response:
    return activity_response(await components.notes.note(post_id))
