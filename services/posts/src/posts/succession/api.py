"""Succession over HTTP: hand a post to an accepted co-author (who accepts or declines), and
choose what becomes of a post when its author's account is deleted."""

from fastapi import APIRouter, Response, status

from posts.components import Components
from posts.succession.schemas import HandoverOut, HandoverRequestBody, KeepingRequest
from shared.identity import CurrentUserId
from shared.openapi import problems
from shared.pagination import Page
from shared.public_post import PostOut

router = APIRouter(prefix="/v1/posts", tags=["posts"])


@router.post(
    "/{post_id}/handover",
    status_code=status.HTTP_201_CREATED,
    name="request_handover",
    responses=problems(403, 404, 409, 422),
)
async def request_handover(
    post_id: str, body: HandoverRequestBody, user_id: CurrentUserId, components: Components
) -> PostOut:
    return await components.succession.request(post_id, user_id, body.to)


@router.get("/{post_id}/handovers", name="list_handovers", responses=problems(404))
async def list_handovers(
    post_id: str, user_id: CurrentUserId, components: Components
) -> Page[HandoverOut]:
    return Page(items=await components.succession.latest(post_id, user_id), next_cursor=None)


@router.post("/{post_id}/handover/accept", name="accept_handover", responses=problems(404, 409))
async def accept_handover(post_id: str, user_id: CurrentUserId, components: Components) -> PostOut:
    return await components.succession.answer(post_id, user_id, "accepted")


@router.post("/{post_id}/handover/decline", name="decline_handover", responses=problems(404, 409))
async def decline_handover(post_id: str, user_id: CurrentUserId, components: Components) -> PostOut:
    return await components.succession.answer(post_id, user_id, "declined")


@router.delete(
    "/{post_id}/handover",
    status_code=status.HTTP_204_NO_CONTENT,
    name="cancel_handover",
    responses=problems(403, 404),
)
async def cancel_handover(post_id: str, user_id: CurrentUserId, components: Components) -> Response:
    await components.succession.cancel(post_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{post_id}/succession",
    status_code=status.HTTP_204_NO_CONTENT,
    name="choose_keeping",
    responses=problems(403, 404),
)
async def choose_keeping(
    post_id: str, body: KeepingRequest, user_id: CurrentUserId, components: Components
) -> Response:
    await components.succession.choose_keeping(post_id, user_id, body.on_author_deletion)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
