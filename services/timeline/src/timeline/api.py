"""The public timeline routes: GET /v1/timeline and GET /v1/users/{handle}/posts."""

from typing import Annotated

from fastapi import APIRouter, Depends

from shared.identity import CurrentUserId
from shared.pagination import DEFAULT_PAGE_SIZE, Page, PageCursor, PageLimit
from shared.relations import MUTE_REPLICA, RelationReplica
from shared.service_app import Runtime
from shared.user_directory import UserDirectory
from timeline.engagement import EngagementRepository
from timeline.reader import TimelineReader
from timeline.repository import EntryRepository, FollowRepository, PostCardRepository
from timeline.schemas import InsightsOut, PostOut

router = APIRouter(prefix="/v1", tags=["timeline"])


async def get_reader(runtime: Runtime) -> TimelineReader:
    db = runtime.db
    return TimelineReader(
        FollowRepository(db),
        PostCardRepository(db),
        EntryRepository(db),
        UserDirectory(db),
        EngagementRepository(db),
        RelationReplica(db, MUTE_REPLICA),
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
    user_id: CurrentUserId,
    reader: Reader,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PostOut]:
    """Posts the user authored or co-authors (accepted), newest first."""
    return await reader.profile(handle, limit, cursor, viewer_id=user_id)


@router.get("/posts/{post_id}/insights")
async def post_insights(post_id: str, user_id: CurrentUserId, reader: Reader) -> InsightsOut:
    """What the post did for each of its credited authors (404 for anyone else)."""
    return await reader.insights(post_id, user_id)
