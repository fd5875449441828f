"""Answering invitations (/v1/invitations/{id}/accept, .../decline): thin, HTTP only."""

from fastapi import APIRouter

from invitations.components import Components
from invitations.core.rules import Transition
from invitations.core.schemas import Invitation
from shared.identity import CurrentUserId
from shared.openapi import problems

router = APIRouter(prefix="/v1/invitations", tags=["invitations"])


@router.post("/{invitation_id}/accept", name="accept", responses=problems(403, 404, 409))
async def accept_invitation(
    invitation_id: str, user_id: CurrentUserId, components: Components
) -> Invitation:
    return await _answer(components, invitation_id, user_id, Transition.ACCEPT)


@router.post("/{invitation_id}/decline", name="decline", responses=problems(404, 409))
async def decline_invitation(
    invitation_id: str, user_id: CurrentUserId, components: Components
) -> Invitation:
    return await _answer(components, invitation_id, user_id, Transition.DECLINE)


async def _answer(
    components: Components, invitation_id: str, user_id: str, transition: Transition
) -> Invitation:
    record = await components.answers.answer(invitation_id, user_id, transition)
    [invitation] = await components.queries.render([record])
    return invitation
