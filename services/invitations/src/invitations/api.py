"""The public invitation routes (/v1/invitations): thin, HTTP only."""

from fastapi import APIRouter

from invitations.components import Components
from invitations.domain import InvitationStatus, Transition
from invitations.schemas import Box, Invitation, InvitationPage
from shared.identity import CurrentUserId
from shared.pagination import DEFAULT_PAGE_SIZE, PageCursor, PageLimit

router = APIRouter(prefix="/v1/invitations", tags=["invitations"])


@router.get("")
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


@router.get("/{invitation_id}")
async def get_invitation(
    invitation_id: str, user_id: CurrentUserId, components: Components
) -> Invitation:
    return await components.queries.get_for(invitation_id, user_id)


@router.post("/{invitation_id}/accept")
async def accept_invitation(
    invitation_id: str, user_id: CurrentUserId, components: Components
) -> Invitation:
    return await _answer(components, invitation_id, user_id, Transition.ACCEPT)


@router.post("/{invitation_id}/decline")
async def decline_invitation(
    invitation_id: str, user_id: CurrentUserId, components: Components
) -> Invitation:
    return await _answer(components, invitation_id, user_id, Transition.DECLINE)


async def _answer(
    components: Components, invitation_id: str, user_id: str, transition: Transition
) -> Invitation:
    record = await components.commands.answer(invitation_id, user_id, transition)
    [invitation] = await components.queries.render([record])
    return invitation
