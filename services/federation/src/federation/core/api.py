"""What every federation route shares: only the gateway calls them, and only while this
instance federates (FEDERATION_DOMAIN set); otherwise they answer 404 like any unknown path."""

import json
from typing import Any

from fastapi import Depends, Request, Response

from federation.core.signatures import SignedRequest
from federation.core.urls import LocalUrls
from federation.settings import FederationSettings
from shared.identity import GATEWAY, require_caller
from shared.problems import NotFound

ACTIVITY_JSON = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"


async def require_federating(request: Request) -> None:
    settings: FederationSettings = request.app.state.spec.settings
    if not settings.federating:
        raise NotFound("There is no such endpoint.")


FEDERATION_ROUTE = [Depends(require_federating), Depends(require_caller(GATEWAY))]


def activity_response(
    document: dict[str, Any], *, media_type: str = ACTIVITY_JSON, status_code: int = 200
) -> Response:
    return Response(json.dumps(document), status_code=status_code, media_type=media_type)


def received_request(request: Request, urls: LocalUrls, body: bytes) -> SignedRequest:
    """The request as its sender signed it: this instance's URL of the path it was sent to."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    headers = dict(request.headers.items()) | {"host": urls.domain}
    return SignedRequest(request.method, urls.base + target, headers, body)
