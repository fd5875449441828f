"""The gateway's routes: every public /v1 request forwarded, and the aggregated API docs."""

from types import SimpleNamespace

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.responses import Response as PlainResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth import presented_token
from gateway.components import Components, GatewayComponents, components_of
from gateway.domain import (
    DATA_EXPORT_ENDPOINT,
    MEDIA_FILES_METHODS,
    MEDIA_FILES_PREFIX,
    address_key,
    is_account_deletion,
    is_proxied,
    is_public,
    is_upload,
    is_user_search,
    upstream_for,
)
from gateway.export import ZIP_MEDIA_TYPE, stream_archive
from gateway.proxy import read_limited_body
from shared.problems import (
    NotFound,
    Problem,
    Unauthorized,
    problem_response,
    problem_response_for,
)
from shared.rate_limits import SharedRateLimiter, check_in_order

API_TITLE = "CoPost API"

docs_router = APIRouter(include_in_schema=False)

_FORWARDED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


async def forward_public_request(
    request: Request, gateway: GatewayComponents, *, counted_caller: str | None = None
) -> Response:
    """`counted_caller`: the caller, verified and counted already (`count_request`)."""
    # The path from the scope, not `request.url`: building the whole URL costs more than
    # all of these checks, and none of them needs more than the path.
    path: str = request.scope["path"]
    upstream = upstream_for(path)
    if upstream is None:
        raise NotFound("There is no such endpoint.")
    user_id = counted_caller or await authenticated_user_id(request, gateway)
    settings = gateway.settings
    limit = (
        settings.max_upload_bytes if is_upload(request.method, path) else settings.max_body_bytes
    )
    body = await read_limited_body(request, limit)
    response = await gateway.proxy.forward(request, upstream, user_id=user_id, body=body)
    deleted = is_account_deletion(request.method, path)
    if deleted and user_id is not None and response.status_code < 300:
        # Refused on every route from now on, not from this gateway's next poll.
        await gateway.revocations.revoke([user_id])
    return response


async def count_request(request: Request, gateway: GatewayComponents) -> str | None:
    """Counts a forwarded request against its client address's limit, before any other work;
    in the same round trip to Redis against its caller's own limits when the caller is known
    without any signature work: then returns it (else None: `authenticated_user_id` later)."""
    address = address_key(request.client.host if request.client else "unknown")
    user_id = _known_caller(request, gateway)
    limits = [(gateway.ip_limiter, address)]
    if user_id is not None:
        limits += _caller_limits(request, gateway, user_id)
    await check_in_order(limits)
    return user_id


def _known_caller(request: Request, gateway: GatewayComponents) -> str | None:
    """The caller of a request that goes as far as the caller's own limits (a forwarded
    method, a route that is neither public nor a media file), when its token was verified
    before: the same limits, in the same order, as `authenticated_user_id` would count."""
    method, path = request.method, request.scope["path"]
    if (
        method not in _FORWARDED_METHODS
        or upstream_for(path) is None
        or path.startswith(MEDIA_FILES_PREFIX)
        or is_public(method, path)
    ):
        return None
    token = presented_token(request)
    return gateway.verifier.known_user_id(token) if token is not None else None


def _caller_limits(
    request: Request, gateway: GatewayComponents, user_id: str
) -> list[tuple[SharedRateLimiter, str]]:
    limits = [(gateway.user_limiter, user_id)]
    if is_user_search(request.method, request.scope["path"]):
        limits.append((gateway.search_limiter, user_id))
    return limits


async def authenticated_user_id(request: Request, gateway: GatewayComponents) -> str | None:
    """The verified caller, counted against its rate limit; None on the two public endpoints."""
    path: str = request.scope["path"]
    if path.startswith(MEDIA_FILES_PREFIX):
        if request.method not in MEDIA_FILES_METHODS:
            raise NotFound("There is no such endpoint.")
        return None
    if is_public(request.method, path):
        # Sign-up and sign-in hash a password: each address gets a small allowance of them.
        address = address_key(request.client.host if request.client else "unknown")
        await gateway.login_limiter.check(address)
        return None
    token = presented_token(request)
    if token is None:
        raise Unauthorized()
    user_id = await gateway.verifier.user_id_of(token)
    await check_in_order(_caller_limits(request, gateway, user_id))
    return user_id


class PublicApiMiddleware:
    """Forwards every /v1 request itself, the innermost middleware, ahead of the router.

    A plain ASGI layer rather than a FastAPI route: on the busiest path of the system,
    FastAPI's routing and request handling (dependencies, exception and exit-stack layers,
    request and response wrapping) cost as much CPU as the forwarding itself
    (bench/results/reads.md). Refusals are problem+json as everywhere else.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_proxied(scope["method"], scope["path"]):
            await self._app(scope, receive, send)
            return
        request = Request(scope, receive)
        gateway = components_of(scope["app"])
        response: Response
        try:
            caller = await count_request(request, gateway)
            scope["route"] = _ROUTE_LABEL
            if scope["method"] not in _FORWARDED_METHODS:
                response = problem_response(
                    405, "Method Not Allowed", headers={"Allow": ", ".join(_FORWARDED_METHODS)}
                )
            else:
                response = await forward_public_request(request, gateway, counted_caller=caller)
        except Problem as exc:
            response = problem_response_for(exc)
        await response(scope, receive, send)


# What metrics and logs name the route, as a router would have set it.
_ROUTE_LABEL = SimpleNamespace(path="/v1/{path:path}")


export_router = APIRouter(tags=["users"])


@export_router.get(
    DATA_EXPORT_ENDPOINT[1],
    name="export_my_data",
    operation_id="users.export_my_data",
    response_class=PlainResponse,
    # The gateway's own refusals (401, 429 with Retry-After, 502, 503) are declared for every
    # /v1 operation by the merge (gateway.openapi).
    responses={
        200: {
            "description": "The archive (docs/data-export.md)",
            "content": {ZIP_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def export_my_data(request: Request, gateway: Components) -> Response:
    """Everything CoPost holds about the caller, as one zip; once an hour at most."""
    user_id = await authenticated_user_id(request, gateway)
    if user_id is None:  # never: the route is not public
        raise Unauthorized()
    await gateway.export_limiter.check(user_id)
    archive = await gateway.export.archive(user_id)
    size = archive.seek(0, 2)
    archive.seek(0)
    return StreamingResponse(
        stream_archive(archive),
        media_type=ZIP_MEDIA_TYPE,
        headers={
            "Content-Disposition": 'attachment; filename="copost-export.zip"',
            "Cache-Control": "no-store",
            "Content-Length": str(size),
        },
    )


@docs_router.get("/openapi.json")
async def openapi_document(gateway: Components) -> JSONResponse:
    return JSONResponse(await gateway.openapi.document())


# The API explorer: Swagger UI from the installed swagger-ui-bundle package (served at
# DOCS_ASSETS_PATH), never from a CDN, and no inline script, so the page's strict
# Content-Security-Policy (gateway.web_headers) holds on the token's origin.
DOCS_ASSETS_PATH = "/docs/assets"
_DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{API_TITLE}</title>
<link rel="stylesheet" href="{DOCS_ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""
_DOCS_INIT = """SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
"""


@docs_router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(_DOCS_PAGE)


@docs_router.get("/docs/init.js")
async def swagger_ui_init() -> PlainResponse:
    return PlainResponse(_DOCS_INIT, media_type="text/javascript")
