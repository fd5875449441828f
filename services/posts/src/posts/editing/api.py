"""Edits over HTTP: propose one, answer it (approve, reject), withdraw it, read a post's latest
proposal and its history of versions."""

from fastapi import APIRouter, Response, status

from posts.components import Components
from posts.editing.schemas import EditOut, EditRequest, RevisionOut
from shared.identity import CurrentUserId
from shared.openapi import problems
from shared.pagination import Page

router = APIRouter(prefix="/v1/posts", tags=["posts"])


@router.post(
    "/{post_id}/edits",
    status_code=status.HTTP_201_CREATED,
    name="propose_edit",
    responses=problems(404, 409),
)
async def propose_edit(
    post_id: str, body: EditRequest, user_id: CurrentUserId, components: Components
) -> EditOut:
    return await components.editing.propose(post_id, user_id, body)


@router.get("/{post_id}/edits", name="list_edits", responses=problems(404))
async def list_edits(post_id: str, user_id: CurrentUserId, components: Components) -> Page[EditOut]:
    return Page(items=await components.edit_queries.edits(post_id, user_id), next_cursor=None)


@router.get("/{post_id}/edits/{edit_id}", name="get_edit", responses=problems(404))
async def get_edit(
    post_id: str, edit_id: str, user_id: CurrentUserId, components: Components
) -> EditOut:
    return await components.edit_queries.edit(post_id, edit_id, user_id)


@router.post(
    "/{post_id}/edits/{edit_id}/approve", name="approve_edit", responses=problems(403, 404, 409)
)
async def approve_edit(
    post_id: str, edit_id: str, user_id: CurrentUserId, components: Components
) -> EditOut:
    return await components.editing.answer(post_id, edit_id, user_id, "approved")


@router.post(
    "/{post_id}/edits/{edit_id}/reject", name="reject_edit", responses=problems(403, 404, 409)
)
async def reject_edit(
    post_id: str, edit_id: str, user_id: CurrentUserId, components: Components
) -> EditOut:
    return await components.editing.answer(post_id, edit_id, user_id, "rejected")


@router.delete(
    "/{post_id}/edits/{edit_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    name="withdraw_edit",
    responses=problems(403, 404, 409),
)
async def withdraw_edit(
    post_id: str, edit_id: str, user_id: CurrentUserId, components: Components
) -> Response:
    await components.editing.withdraw(post_id, edit_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{post_id}/history", name="history", responses=problems(404))
async def post_history(
    post_id: str, user_id: CurrentUserId, components: Components
) -> Page[RevisionOut]:
    """Every version, oldest first, the current one last (one page: edits are few)."""
    return Page(items=await components.edit_queries.history(post_id, user_id), next_cursor=None)
