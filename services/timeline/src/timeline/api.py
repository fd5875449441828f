"""The public timeline routes: GET /v1/timeline and GET /v1/users/{handle}/posts."""

from typing import Annotated

from fastapi import APIRouter, Depends

from shared.identity import CurrentUserId
from shared.pagination import DEFAULT_PAGE_SIZE, Page, PageCursor, PageLimit
from shared.service_app import Runtime
from shared.user_directory import UserDirectory
from timeline.reader import TimelineReader
from timeline.repository import EntryRepository, FollowRepository, PostCardRepository
from timeline.schemas import PostOut

router = APIRouter(prefix="/v1", tags=["timeline"])


async def get_reader(runtime: Runtime) -> TimelineReader:
    db = runtime.db
    return TimelineReader(
        FollowRepository(db), PostCardRepository(db), EntryRepository(db), UserDirectory(db)
    )


Reader = Annotated[TimelineReader, Depends(get_reader)]


@router.get("/timeline")
async def home_timeline(
    user_id: CurrentUserId,
    reader: Reader,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PostOut]:
    """The caller's home timeline: newest first, each post once."""
    return await reader.home(user_id, limit, cursor)


@router.get("/users/{handle}/posts")
async def profile_timeline(
    handle: str,
    _: CurrentUserId,
    reader: Reader,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PostOut]:
    """Posts the user authored or co-authors (accepted), newest first."""
    return await reader.profile(handle, limit, cursor)
