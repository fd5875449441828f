"""Reading invitations (/v1/invitations): the caller's list and one invitation."""

from fastapi import APIRouter

from invitations.components import Components
from invitations.core.rules import InvitationStatus
from invitations.core.schemas import Box, Invitation, InvitationPage
from shared.identity import CurrentUserId
from shared.openapi import problems
from shared.pagination import DEFAULT_PAGE_SIZE, PageCursor, PageLimit

router = APIRouter(prefix="/v1/invitations", tags=["invitations"])


@router.get("", name="list")
async def list_invitations(
    user_id: CurrentUserId,
    components: Components,
    box: Box = Box.RECEIVED,
    status: InvitationStatus | None = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> InvitationPage:
    return await components.queries.list_for(
        user_id, box=box, status=status, limit=limit, cursor=cursor
    )


@router.get("/{invitation_id}", name="get", responses=problems(404))
async def get_invitation(
    invitation_id: str, user_id: CurrentUserId, components: Components
) -> Invitation:
    return await components.queries.get_for(invitation_id, user_id)
