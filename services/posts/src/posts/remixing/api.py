"""Remixes over HTTP: a post's remixes (and revoking one), and the requests to remix one's
posts (/v1/remix-requests) with their answers."""

from fastapi import APIRouter, Response, status

from posts.components import Components
from posts.remixing.schemas import RemixRequestOut
from shared.events.posts import RemixStatus
from shared.identity import CurrentUserId
from shared.openapi import problems
from shared.pagination import DEFAULT_PAGE_SIZE, Page, PageCursor, PageLimit
from shared.public_post import PostOut

router = APIRouter(prefix="/v1/posts", tags=["remixes"])
requests_router = APIRouter(prefix="/v1/remix-requests", tags=["remixes"])


@router.get("/{post_id}/remixes", name="list", responses=problems(404))
async def list_remixes(
    post_id: str,
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PostOut]:
    return await components.remix_queries.remixes(post_id, user_id, limit, cursor)


@router.delete(
    "/{post_id}/remixes/{remix_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    name="revoke",
    responses=problems(403, 404, 409),
)
async def revoke_remix(
    post_id: str, remix_id: str, user_id: CurrentUserId, components: Components
) -> Response:
    await components.remixing.revoke_remix(post_id, remix_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@requests_router.get("", name="list_requests")
async def list_remix_requests(
    user_id: CurrentUserId,
    components: Components,
    status: RemixStatus | None = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[RemixRequestOut]:
    return await components.remix_queries.remix_requests(user_id, status, limit, cursor)


@requests_router.post(
    "/{request_id}/approve", name="approve_request", responses=problems(403, 404, 409)
)
async def approve_remix_request(
    request_id: str, user_id: CurrentUserId, components: Components
) -> RemixRequestOut:
    return await components.remixing.answer_remix_request(request_id, user_id, "approved")


@requests_router.post(
    "/{request_id}/reject", name="reject_request", responses=problems(403, 404, 409)
)
async def reject_remix_request(
    request_id: str, user_id: CurrentUserId, components: Components
) -> RemixRequestOut:
    return await components.remixing.answer_remix_request(request_id, user_id, "rejected")
