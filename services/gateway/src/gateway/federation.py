"""The fediverse's way in, when FEDERATION_DOMAIN is set: WebFinger, actors, notes, co-authors'
consent stamps, collections and inboxes, forwarded without a token to the federation service,
which checks the HTTP signatures of what other servers post."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response

from gateway.components import Components
from gateway.domain import asks_for_activity
from gateway.proxy import read_limited_body
from shared.problems import NotFound
from shared.services import Backend

# Each path by method, and whether only servers asking for ActivityPub JSON get it: browsers
# get no page at an actor or a note yet.
_PATHS: tuple[tuple[str, str, bool], ...] = (
    ("GET", "/.well-known/webfinger", False),
    ("GET", "/actor", True),
    ("GET", "/users/{handle}", True),
    ("GET", "/posts/{post_id}", True),
    ("GET", "/users/{handle}/coauthorizations/{post_id}", False),
    ("GET", "/users/{handle}/quote_authorizations/{remix_id}", False),
    ("GET", "/users/{handle}/followers", False),
    ("GET", "/users/{handle}/following", False),
    ("GET", "/users/{handle}/outbox", False),
    ("POST", "/users/{handle}/inbox", False),
    ("POST", "/inbox", False),
)

type Endpoint = Callable[[Request, Components], Awaitable[Response]]


def _forwarding(*, activity_only: bool) -> Endpoint:
    async def forward(request: Request, gateway: Components) -> Response:
        if activity_only and not asks_for_activity(request.headers.get("accept")):
            raise NotFound("There is no such page.")
        body = await read_limited_body(request, gateway.settings.max_body_bytes)
        return await gateway.proxy.forward(request, Backend.FEDERATION, user_id=None, body=body)

    return forward


def _router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for method, path, activity_only in _PATHS:
        router.add_api_route(path, _forwarding(activity_only=activity_only), methods=[method])
    return router


federation_router = _router()
