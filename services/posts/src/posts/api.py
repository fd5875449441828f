"""The public posts routes (/v1/posts...): HTTP in and out, the work is in PostService."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from posts.engagement import Engagement
from posts.likes import LikeRepository
from posts.repository import InviteCounterRepository, PostRepository
from posts.schemas import (
    CreatePostRequest,
    InvitationOut,
    InviteCoauthorRequest,
    PostOut,
    RemixRequestOut,
    ReplyRequest,
)
from posts.service import PostService
from posts.settings import PostsSettings
from shared.events.posts import RemixStatus
from shared.identity import CurrentUserId
from shared.internal_http import EligibilityClient
from shared.pagination import DEFAULT_PAGE_SIZE, Page, PageCursor, PageLimit
from shared.relations import BLOCK_REPLICA, MUTE_REPLICA, RelationReplica
from shared.service_app import Runtime, ServiceRuntime
from shared.user_directory import PublicUser, UserDirectory

router = APIRouter(prefix="/v1/posts", tags=["posts"])
remix_requests_router = APIRouter(prefix="/v1/remix-requests", tags=["remixes"])


def engagement_of(runtime: ServiceRuntime) -> Engagement:
    db = runtime.db
    return Engagement(
        PostRepository(db), LikeRepository(db), RelationReplica(db, BLOCK_REPLICA), runtime.relay
    )


async def get_engagement(runtime: Runtime) -> Engagement:
    return engagement_of(runtime)


async def get_post_service(request: Request, runtime: Runtime) -> PostService:
    settings: PostsSettings = request.app.state.posts_settings
    users: EligibilityClient = request.app.state.eligibility
    return PostService(
        settings=settings,
        posts=PostRepository(runtime.db),
        invite_counters=InviteCounterRepository(runtime.db),
        directory=UserDirectory(runtime.db),
        users=users,
        relay=runtime.relay,
        engagement=engagement_of(runtime),
        hidden_repliers=(
            RelationReplica(runtime.db, BLOCK_REPLICA),
            RelationReplica(runtime.db, MUTE_REPLICA),
        ),
    )


Posts = Annotated[PostService, Depends(get_post_service)]
Engaging = Annotated[Engagement, Depends(get_engagement)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_post(body: CreatePostRequest, user_id: CurrentUserId, posts: Posts) -> PostOut:
    return await posts.create(user_id, body)


@router.get("/{post_id}")
async def get_post(post_id: str, user_id: CurrentUserId, posts: Posts) -> PostOut:
    return await posts.get(post_id, user_id)


@router.delete("/{post_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_post(post_id: str, user_id: CurrentUserId, posts: Posts) -> Response:
    await posts.delete(post_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{post_id}/publish")
async def publish_post(post_id: str, user_id: CurrentUserId, posts: Posts) -> PostOut:
    return await posts.publish(post_id, user_id)


@router.post("/{post_id}/coauthors", status_code=status.HTTP_201_CREATED)
async def invite_coauthor(
    post_id: str, body: InviteCoauthorRequest, user_id: CurrentUserId, posts: Posts
) -> InvitationOut:
    return await posts.invite(post_id, user_id, body.handle)


@router.delete("/{post_id}/coauthors/{handle}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_coauthor(
    post_id: str, handle: str, user_id: CurrentUserId, posts: Posts
) -> Response:
    await posts.remove_coauthor(post_id, user_id, handle)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- remixes (issue 13) ----------------------------------------------------------------------


@router.get("/{post_id}/remixes", tags=["remixes"])
async def list_remixes(
    post_id: str,
    user_id: CurrentUserId,
    posts: Posts,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PostOut]:
    return await posts.remixes(post_id, user_id, limit, cursor)


@router.delete(
    "/{post_id}/remixes/{remix_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["remixes"]
)
async def revoke_remix(
    post_id: str, remix_id: str, user_id: CurrentUserId, posts: Posts
) -> Response:
    await posts.revoke_remix(post_id, remix_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@remix_requests_router.get("")
async def list_remix_requests(
    user_id: CurrentUserId,
    posts: Posts,
    status: RemixStatus | None = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[RemixRequestOut]:
    return await posts.remix_requests(user_id, status, limit, cursor)


@remix_requests_router.post("/{request_id}/approve")
async def approve_remix_request(
    request_id: str, user_id: CurrentUserId, posts: Posts
) -> RemixRequestOut:
    return await posts.answer_remix_request(request_id, user_id, "approved")


@remix_requests_router.post("/{request_id}/reject")
async def reject_remix_request(
    request_id: str, user_id: CurrentUserId, posts: Posts
) -> RemixRequestOut:
    return await posts.answer_remix_request(request_id, user_id, "rejected")


# -- engagement (issue 12) ---------------------------------------------------------------


@router.put("/{post_id}/like", status_code=status.HTTP_204_NO_CONTENT)
async def like_post(post_id: str, user_id: CurrentUserId, engagement: Engaging) -> Response:
    await engagement.like(post_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{post_id}/like", status_code=status.HTTP_204_NO_CONTENT)
async def unlike_post(post_id: str, user_id: CurrentUserId, engagement: Engaging) -> Response:
    await engagement.unlike(post_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{post_id}/likes")
async def list_likers(
    post_id: str,
    user_id: CurrentUserId,
    posts: Posts,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PublicUser]:
    """Who likes the post, newest first (likes hidden by a block are left out)."""
    return await posts.likers(post_id, user_id, limit, cursor)


@router.post("/{post_id}/replies", status_code=status.HTTP_201_CREATED)
async def reply_to_post(
    post_id: str, body: ReplyRequest, user_id: CurrentUserId, posts: Posts
) -> PostOut:
    return await posts.reply(post_id, user_id, body.text)


@router.get("/{post_id}/replies")
async def list_replies(
    post_id: str,
    user_id: CurrentUserId,
    posts: Posts,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[PostOut]:
    """The thread under the post, oldest first, without replies by accounts the caller
    blocks or mutes."""
    return await posts.replies(post_id, user_id, limit, cursor)
