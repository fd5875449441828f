"""POST /users/{handle}/inbox and POST /inbox (the shared inbox): activities from other
servers, accepted (202) once their signature verifies; their effects follow from the events."""

from fastapi import APIRouter, Request, Response

from federation.components import Components
from federation.core.api import FEDERATION_ROUTE, received_request
from federation.core.signatures import SignedRequest
from shared.problems import NotFound, PayloadTooLarge

router = APIRouter(tags=["federation"], dependencies=FEDERATION_ROUTE)


@router.post("/inbox", include_in_schema=False)
async def shared_inbox(request: Request, components: Components) -> Response:
    await components.inbox.receive(await _signed_request(request, components))
    return Response(status_code=202)


@router.post("/users/{handle}/inbox", include_in_schema=False)
async def personal_inbox(handle: str, request: Request, components: Components) -> Response:
    if await components.directory.by_handle(handle) is None:
        raise NotFound("There is no such account here.")
    await components.inbox.receive(await _signed_request(request, components))
    return Response(status_code=202)


async def _signed_request(request: Request, components: Components) -> SignedRequest:
    """The request as its sender signed it, its body within the limit."""
    limit = components.settings.inbox_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"An activity may weigh at most {limit} bytes.")
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"An activity may weigh at most {limit} bytes.")
    return received_request(request, components.urls, body)
