"""The fediverse's way in, when FEDERATION_DOMAIN is set: WebFinger, actors, notes, co-authors'
consent stamps, collections and inboxes, forwarded without a token to the federation service,
which checks the HTTP signatures of what other servers post."""

from fastapi import APIRouter, Request, Response

from gateway.components import Components
from gateway.domain import asks_for_activity
from gateway.proxy import read_limited_body
from shared.problems import NotFound
from shared.services import Backend

federation_router = APIRouter(include_in_schema=False)


async def _forward(request: Request, gateway: Components) -> Response:
    body = await read_limited_body(request, gateway.settings.max_body_bytes)
    return await gateway.proxy.forward(request, Backend.FEDERATION, user_id=None, body=body)


@federation_router.get("/.well-known/webfinger")
async def webfinger(request: Request, gateway: Components) -> Response:
    return await _forward(request, gateway)


async def _forward_activity(request: Request, gateway: Components) -> Response:
    # Browsers get no page here yet; only servers asking for ActivityPub JSON get the object.
    if not asks_for_activity(request.headers.get("accept")):
        raise NotFound("There is no such page.")
    return await _forward(request, gateway)


@federation_router.get("/users/{handle}")
async def actor(request: Request, gateway: Components) -> Response:
    return await _forward_activity(request, gateway)


@federation_router.get("/posts/{post_id}")
async def note(request: Request, gateway: Components) -> Response:
    return await _forward_activity(request, gateway)


@federation_router.get("/users/{handle}/coauthorizations/{post_id}")
async def coauthorization(request: Request, gateway: Components) -> Response:
    return await _forward(request, gateway)


@federation_router.get("/users/{handle}/followers")
async def followers(request: Request, gateway: Components) -> Response:
    return await _forward(request, gateway)


@federation_router.get("/users/{handle}/following")
async def following(request: Request, gateway: Components) -> Response:
    return await _forward(request, gateway)


@federation_router.get("/users/{handle}/outbox")
async def outbox(request: Request, gateway: Components) -> Response:
    return await _forward(request, gateway)


@federation_router.post("/users/{handle}/inbox")
async def personal_inbox(request: Request, gateway: Components) -> Response:
    return await _forward(request, gateway)


@federation_router.post("/inbox")
async def shared_inbox(request: Request, gateway: Components) -> Response:
    return await _forward(request, gateway)
