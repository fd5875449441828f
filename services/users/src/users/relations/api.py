"""Relations over HTTP: follow, block and mute an account by its handle, and list one's mutes;
and, internally, who blocks an account now."""

from fastapi import APIRouter, Depends, status

from shared.eligibility import BLOCKERS_PATH, BlockersRequest, BlockersResponse
from shared.identity import CurrentUserId, require_caller
from shared.openapi import problems
from shared.pagination import DEFAULT_PAGE_SIZE, Page, PageCursor, PageLimit
from users.components import Components
from users.core.schemas import User
from users.relations.schemas import FollowRequest

router = APIRouter(prefix="/v1", tags=["users"])
internal_router = APIRouter(tags=["internal"])


@router.put(
    "/users/{handle}/follow",
    status_code=status.HTTP_204_NO_CONTENT,
    name="follow",
    responses=problems(403, 404),
)
async def follow(
    handle: str, user_id: CurrentUserId, components: Components, body: FollowRequest | None = None
) -> None:
    await components.relations.follow(user_id, handle, via_post=body.via_post if body else None)


@router.delete(
    "/users/{handle}/follow",
    status_code=status.HTTP_204_NO_CONTENT,
    name="unfollow",
    responses=problems(404),
)
async def unfollow(handle: str, user_id: CurrentUserId, components: Components) -> None:
    await components.relations.unfollow(user_id, handle)


@router.put(
    "/users/{handle}/block",
    status_code=status.HTTP_204_NO_CONTENT,
    name="block",
    responses=problems(404),
)
async def block(handle: str, user_id: CurrentUserId, components: Components) -> None:
    await components.relations.block(user_id, handle)


@router.delete(
    "/users/{handle}/block",
    status_code=status.HTTP_204_NO_CONTENT,
    name="unblock",
    responses=problems(404),
)
async def unblock(handle: str, user_id: CurrentUserId, components: Components) -> None:
    await components.relations.unblock(user_id, handle)


@router.put(
    "/users/{handle}/mute",
    status_code=status.HTTP_204_NO_CONTENT,
    name="mute",
    responses=problems(404),
)
async def mute(handle: str, user_id: CurrentUserId, components: Components) -> None:
    await components.relations.mute(user_id, handle)


@router.delete(
    "/users/{handle}/mute",
    status_code=status.HTTP_204_NO_CONTENT,
    name="unmute",
    responses=problems(404),
)
async def unmute(handle: str, user_id: CurrentUserId, components: Components) -> None:
    await components.relations.unmute(user_id, handle)


@router.get("/me/mutes", name="list_mutes")
async def my_mutes(
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[User]:
    """The accounts the caller mutes, most recently muted first."""
    return await components.relation_queries.mutes(user_id, limit, cursor)


@internal_router.post(BLOCKERS_PATH, dependencies=[Depends(require_caller("posts", "timeline"))])
async def blockers(body: BlockersRequest, components: Components) -> BlockersResponse:
    """Asked where a block must hold before its event arrives."""
    blocker_ids = await components.relation_queries.blockers(body.user_id, body.among)
    return BlockersResponse(blocker_ids=blocker_ids)
