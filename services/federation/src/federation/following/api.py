"""GET /users/{handle}/followers and /following: how many follow a local user from other
servers, and how many remote accounts it follows."""

from fastapi import APIRouter, Response

from federation.components import Components
from federation.core.api import FEDERATION_ROUTE, activity_response
from federation.inbox.authorized_fetch import SIGNED_FETCH

router = APIRouter(tags=["federation"], dependencies=FEDERATION_ROUTE)


@router.get("/users/{handle}/followers", include_in_schema=False, dependencies=SIGNED_FETCH)
async def followers(handle: str, components: Components) -> Response:
    return activity_response(await components.following_queries.followers_collection(handle))


@router.get("/users/{handle}/following", include_in_schema=False, dependencies=SIGNED_FETCH)
async def following(handle: str, components: Components) -> Response:
    return activity_response(await components.following_queries.following_collection(handle))
