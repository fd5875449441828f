"""The gateway's routes: every public /v1 request forwarded, and the aggregated API docs."""

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from gateway.auth import presented_token
from gateway.domain import is_account_deletion, is_public, upstream_for
from gateway.proxy import read_limited_body
from gateway.runtime import Gateway
from shared.problems import NotFound, Unauthorized

API_TITLE = "CoPost API"

public_api_router = APIRouter(include_in_schema=False)
docs_router = APIRouter(include_in_schema=False)

_FORWARDED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@public_api_router.api_route("/v1/{path:path}", methods=_FORWARDED_METHODS)
async def forward_public_request(request: Request, gateway: Gateway) -> Response:
    upstream = upstream_for(request.url.path)
    if upstream is None:
        raise NotFound("There is no such endpoint.")
    user_id = await _authenticated_user_id(request, gateway)
    body = await read_limited_body(request, gateway.settings.max_body_bytes)
    response = await gateway.proxy.forward(request, upstream, user_id=user_id, body=body)
    deleted = is_account_deletion(request.method, request.url.path)
    if deleted and user_id is not None and response.status_code < 300:
        # Refused on every route from now on, not from this gateway's next poll.
        gateway.revoked.add([user_id])
    return response


async def _authenticated_user_id(request: Request, gateway: Gateway) -> str | None:
    """The verified caller, counted against its rate limit; None on the two public endpoints."""
    if is_public(request.method, request.url.path):
        # Sign-up and sign-in hash a password: each address gets a small allowance of them.
        gateway.login_limiter.check(request.client.host if request.client else "unknown")
        return None
    token = presented_token(request)
    if token is None:
        raise Unauthorized()
    user_id = await gateway.verifier.user_id_of(token)
    gateway.user_limiter.check(user_id)
    return user_id


@docs_router.get("/openapi.json")
async def openapi_document(gateway: Gateway) -> JSONResponse:
    return JSONResponse(await gateway.openapi.document())


@docs_router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title=API_TITLE)
