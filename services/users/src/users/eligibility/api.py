"""Eligibility over internal HTTP: posts and invitations ask who may invite or remix whom."""

from fastapi import APIRouter, Depends

from shared.eligibility import (
    REMIX_CONSENT_PATH,
    EligibilityRequest,
    EligibilityResponse,
    RemixConsent,
    RemixConsentRequest,
)
from shared.identity import require_caller
from users.components import Components

internal_router = APIRouter(tags=["internal"])


@internal_router.post(
    "/internal/eligibility", dependencies=[Depends(require_caller("posts", "invitations"))]
)
async def eligibility(body: EligibilityRequest, components: Components) -> EligibilityResponse:
    return EligibilityResponse(results=await components.eligibility.eligibility(body))


@internal_router.post(REMIX_CONSENT_PATH, dependencies=[Depends(require_caller("posts"))])
async def remix_consent(body: RemixConsentRequest, components: Components) -> RemixConsent:
    return await components.eligibility.remix_consent(body)
