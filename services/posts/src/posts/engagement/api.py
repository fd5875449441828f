"""Likes and replies over HTTP: like or unlike a post, its likers, reply, and its thread."""

from fastapi import APIRouter, Response, status

from posts.components import Components
from posts.engagement.schemas import ReplyRequest
from shared.identity import CurrentUserId
from shared.openapi import problems
from shared.pagination import DEFAULT_PAGE_SIZE, Page, PageCursor, PageLimit
from shared.public_post import PostOut
from shared.public_user import PublicUser

router = APIRouter(prefix="/v1/posts", tags=["posts"])


@router.put(
    "/{post_id}/like",
    status_code=status.HTTP_204_NO_CONTENT,
    name="like",
    responses=problems(403, 404, 409),
)
async def like_post(post_id: str, user_id: CurrentUserId, components: Components) -> Response:
    await components.engagement.like(post_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{post_id}/like",
    status_code=status.HTTP_204_NO_CONTENT,
    name="unlike",
    responses=problems(404, 409),
)
async def unlike_post(post_id: str, user_id: CurrentUserId, components: Components) -> Response:
    await components.engagement.unlike(post_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{post_id}/likes", name="list_likers", responses=problems(404))
async def list_likers(
    post_id: str,
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PublicUser]:
    """Who likes the post, newest first (likes hidden by a block are left out)."""
    return await components.engagement_queries.likers(post_id, user_id, limit, cursor)


@router.post(
    "/{post_id}/replies",
    status_code=status.HTTP_201_CREATED,
    name="reply",
    responses=problems(403, 404, 409),
)
async def reply_to_post(
    post_id: str, body: ReplyRequest, user_id: CurrentUserId, components: Components
) -> PostOut:
    return await components.engagement.reply(post_id, user_id, body.text, body.media_ids)


@router.get("/{post_id}/replies", name="list_replies", responses=problems(404))
async def list_replies(
    post_id: str,
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PostOut]:
    """The thread under the post, oldest first, without replies by accounts the caller
    blocks or mutes."""
    return await components.engagement_queries.replies(post_id, user_id, limit, cursor)
