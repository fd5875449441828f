"""The public invitation routes (/v1/invitations): thin, HTTP only."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from invitations.domain import InvitationStatus, Transition
from invitations.lifecycle import InvitationLifecycle
from invitations.queries import InvitationQueries
from invitations.schemas import Box, Invitation, InvitationPage
from shared.identity import CurrentUserId
from shared.internal_http import EligibilityClient
from shared.pagination import DEFAULT_PAGE_SIZE, PageCursor, PageLimit


async def _lifecycle(request: Request) -> InvitationLifecycle:
    lifecycle: InvitationLifecycle = request.app.state.lifecycle
    return lifecycle


async def _queries(request: Request) -> InvitationQueries:
    queries: InvitationQueries = request.app.state.queries
    return queries


async def _eligibility(request: Request) -> EligibilityClient:
    eligibility: EligibilityClient = request.app.state.eligibility
    return eligibility


Lifecycle = Annotated[InvitationLifecycle, Depends(_lifecycle)]
Queries = Annotated[InvitationQueries, Depends(_queries)]
Eligibility = Annotated[EligibilityClient, Depends(_eligibility)]

router = APIRouter(prefix="/v1/invitations", tags=["invitations"])


@router.get("")
async def list_invitations(
    user_id: CurrentUserId,
    queries: Queries,
    box: Box = Box.RECEIVED,
    status: InvitationStatus | None = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> InvitationPage:
    return await queries.list_for(user_id, box=box, status=status, limit=limit, cursor=cursor)


@router.get("/{invitation_id}")
async def get_invitation(
    invitation_id: str, user_id: CurrentUserId, queries: Queries
) -> Invitation:
    return await queries.get_for(invitation_id, user_id)


@router.post("/{invitation_id}/accept")
async def accept_invitation(
    invitation_id: str,
    user_id: CurrentUserId,
    lifecycle: Lifecycle,
    queries: Queries,
    eligibility: Eligibility,
) -> Invitation:
    record = await lifecycle.answer(invitation_id, user_id, Transition.ACCEPT, eligibility)
    [invitation] = await queries.render([record])
    return invitation


@router.post("/{invitation_id}/decline")
async def decline_invitation(
    invitation_id: str,
    user_id: CurrentUserId,
    lifecycle: Lifecycle,
    queries: Queries,
    eligibility: Eligibility,
) -> Invitation:
    record = await lifecycle.answer(invitation_id, user_id, Transition.DECLINE, eligibility)
    [invitation] = await queries.render([record])
    return invitation
