"""The public timeline routes: GET /v1/timeline and GET /v1/users/{handle}/posts."""

from fastapi import APIRouter

from shared.identity import CurrentUserId
from shared.pagination import DEFAULT_PAGE_SIZE, Page, PageCursor, PageLimit
from shared.public_post import PostOut
from shared.responses import ModelResponse
from timeline.components import Components
from timeline.schemas import InsightsOut

router = APIRouter(prefix="/v1", tags=["timeline"])


@router.get("/timeline", response_model=Page[PostOut])
async def home_timeline(
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> ModelResponse:
    """The caller's home timeline: newest first, each post once."""
    return ModelResponse(await components.reader.home(user_id, limit, cursor))


@router.get("/users/{handle}/posts", response_model=Page[PostOut])
async def profile_timeline(
    handle: str,
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> ModelResponse:
    """Posts the user authored or co-authors (accepted), newest first."""
    page = await components.reader.profile(handle, limit, cursor, viewer_id=user_id)
    return ModelResponse(page)


@router.get("/posts/{post_id}/insights")
async def post_insights(
    post_id: str, user_id: CurrentUserId, components: Components
) -> InsightsOut:
    """What the post did for each of its credited authors (404 for anyone else)."""
    return await components.reader.insights(post_id, user_id)
