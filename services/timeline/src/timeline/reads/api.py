"""Reading timelines over HTTP: GET /v1/timeline and GET /v1/users/{handle}/posts."""

from fastapi import APIRouter

from shared.identity import CurrentUserId
from shared.openapi import problems
from shared.pagination import DEFAULT_PAGE_SIZE, Page, PageCursor, PageLimit
from shared.public_post import PostOut
from shared.responses import JsonBytesResponse
from timeline.components import Components

router = APIRouter(prefix="/v1", tags=["timeline"])


@router.get("/timeline", response_model=Page[PostOut], name="home")
async def home_timeline(
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> JsonBytesResponse:
    """The caller's home timeline: newest first, each post once."""
    page = await components.timelines.home(user_id, limit, cursor)
    return JsonBytesResponse(page.json())


@router.get(
    "/users/{handle}/posts", response_model=Page[PostOut], name="profile", responses=problems(404)
)
async def profile_timeline(
    handle: str,
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> JsonBytesResponse:
    """Posts the user authored or co-authors (accepted), newest first."""
    page = await components.timelines.profile(handle, limit, cursor, viewer_id=user_id)
    return JsonBytesResponse(page.json())
