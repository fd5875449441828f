"""Co-authoring over HTTP: publish a pending post, invite a co-author, remove one (or leave)."""

from fastapi import APIRouter, Response, status

from posts.coauthoring.schemas import InvitationOut, InviteCoauthorRequest
from posts.components import Components
from shared.identity import CurrentUserId
from shared.openapi import problems
from shared.public_post import PostOut

router = APIRouter(prefix="/v1/posts", tags=["posts"])


@router.post("/{post_id}/publish", name="publish", responses=problems(403, 404, 409))
async def publish_post(post_id: str, user_id: CurrentUserId, components: Components) -> PostOut:
    return await components.coauthoring.publish(post_id, user_id)


@router.post(
    "/{post_id}/coauthors",
    status_code=status.HTTP_201_CREATED,
    name="invite_coauthor",
    responses=problems(403, 404, 409),
)
async def invite_coauthor(
    post_id: str, body: InviteCoauthorRequest, user_id: CurrentUserId, components: Components
) -> InvitationOut:
    return await components.coauthoring.invite(post_id, user_id, body.handle, body.credit)


@router.delete(
    "/{post_id}/coauthors/{handle}",
    status_code=status.HTTP_204_NO_CONTENT,
    name="remove_coauthor",
    responses=problems(403, 404, 409),
)
async def remove_coauthor(
    post_id: str, handle: str, user_id: CurrentUserId, components: Components
) -> Response:
    await components.coauthoring.remove_coauthor(post_id, user_id, handle)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
