"""The public posts routes (/v1/posts...): HTTP in and out, the work is in the use cases."""

from fastapi import APIRouter, Response, status

from posts.components import Components
from posts.schemas import (
    CreatePostRequest,
    InvitationOut,
    InviteCoauthorRequest,
    RemixRequestOut,
    ReplyRequest,
)
from shared.events.posts import RemixStatus
from shared.identity import CurrentUserId
from shared.pagination import DEFAULT_PAGE_SIZE, Page, PageCursor, PageLimit
from shared.public_post import PostOut
from shared.public_user import PublicUser

router = APIRouter(prefix="/v1/posts", tags=["posts"])
remix_requests_router = APIRouter(prefix="/v1/remix-requests", tags=["remixes"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_post(
    body: CreatePostRequest, user_id: CurrentUserId, components: Components
) -> PostOut:
    return await components.commands.create(user_id, body)


@router.get("/{post_id}")
async def get_post(post_id: str, user_id: CurrentUserId, components: Components) -> PostOut:
    return await components.queries.get(post_id, user_id)


@router.delete("/{post_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_post(post_id: str, user_id: CurrentUserId, components: Components) -> Response:
    await components.commands.delete(post_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{post_id}/publish")
async def publish_post(post_id: str, user_id: CurrentUserId, components: Components) -> PostOut:
    return await components.commands.publish(post_id, user_id)


@router.post("/{post_id}/coauthors", status_code=status.HTTP_201_CREATED)
async def invite_coauthor(
    post_id: str, body: InviteCoauthorRequest, user_id: CurrentUserId, components: Components
) -> InvitationOut:
    return await components.commands.invite(post_id, user_id, body.handle)


@router.delete("/{post_id}/coauthors/{handle}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_coauthor(
    post_id: str, handle: str, user_id: CurrentUserId, components: Components
) -> Response:
    await components.commands.remove_coauthor(post_id, user_id, handle)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- remixes (issue 13) ----------------------------------------------------------------------


@router.get("/{post_id}/remixes", tags=["remixes"])
async def list_remixes(
    post_id: str,
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PostOut]:
    return await components.queries.remixes(post_id, user_id, limit, cursor)


@router.delete(
    "/{post_id}/remixes/{remix_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["remixes"]
)
async def revoke_remix(
    post_id: str, remix_id: str, user_id: CurrentUserId, components: Components
) -> Response:
    await components.commands.revoke_remix(post_id, remix_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@remix_requests_router.get("")
async def list_remix_requests(
    user_id: CurrentUserId,
    components: Components,
    status: RemixStatus | None = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[RemixRequestOut]:
    return await components.queries.remix_requests(user_id, status, limit, cursor)


@remix_requests_router.post("/{request_id}/approve")
async def approve_remix_request(
    request_id: str, user_id: CurrentUserId, components: Components
) -> RemixRequestOut:
    return await components.commands.answer_remix_request(request_id, user_id, "approved")


@remix_requests_router.post("/{request_id}/reject")
async def reject_remix_request(
    request_id: str, user_id: CurrentUserId, components: Components
) -> RemixRequestOut:
    return await components.commands.answer_remix_request(request_id, user_id, "rejected")


# -- engagement (issue 12) ---------------------------------------------------------------


@router.put("/{post_id}/like", status_code=status.HTTP_204_NO_CONTENT)
async def like_post(post_id: str, user_id: CurrentUserId, components: Components) -> Response:
    await components.engagement.like(post_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{post_id}/like", status_code=status.HTTP_204_NO_CONTENT)
async def unlike_post(post_id: str, user_id: CurrentUserId, components: Components) -> Response:
    await components.engagement.unlike(post_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{post_id}/likes")
async def list_likers(
    post_id: str,
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PublicUser]:
    """Who likes the post, newest first (likes hidden by a block are left out)."""
    return await components.queries.likers(post_id, user_id, limit, cursor)


@router.post("/{post_id}/replies", status_code=status.HTTP_201_CREATED)
async def reply_to_post(
    post_id: str, body: ReplyRequest, user_id: CurrentUserId, components: Components
) -> PostOut:
    return await components.commands.reply(post_id, user_id, body.text)


@router.get("/{post_id}/replies")
async def list_replies(
    post_id: str,
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PostOut]:
    """The thread under the post, oldest first, without replies by accounts the caller
    blocks or mutes."""
    return await components.queries.replies(post_id, user_id, limit, cursor)
