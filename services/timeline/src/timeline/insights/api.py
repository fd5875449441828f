"""A post's insights over HTTP: GET /v1/posts/{post_id}/insights."""

from fastapi import APIRouter

from shared.identity import CurrentUserId
from shared.openapi import problems
from timeline.components import Components
from timeline.insights.schemas import InsightsOut

router = APIRouter(prefix="/v1", tags=["timeline"])


@router.get("/posts/{post_id}/insights", name="insights", responses=problems(404))
async def post_insights(
    post_id: str, user_id: CurrentUserId, components: Components
) -> InsightsOut:
    """What the post did for each of its credited authors (404 for anyone else)."""
    return await components.insights.insights_of(post_id, user_id)
