"""WebFinger and actor documents: GET /.well-known/webfinger and GET /users/{handle}."""

from fastapi import APIRouter, Response

from federation.components import Components
from federation.core.api import FEDERATION_ROUTE, activity_response
from federation.inbox.authorized_fetch import SIGNED_FETCH

router = APIRouter(tags=["federation"], dependencies=FEDERATION_ROUTE)

JRD_JSON = "application/jrd+json"


@router.get("/.well-known/webfinger", include_in_schema=False)
async def webfinger(resource: str, components: Components) -> Response:
    document = await components.discovery.webfinger(resource)
    return activity_response(document, media_type=JRD_JSON)


@router.get("/actor", include_in_schema=False)
async def instance_actor(components: Components) -> Response:
    """Open to unsigned GETs even under AUTHORIZED_FETCH: servers fetch it to check the
    signatures of this instance's fetches."""
    return activity_response(await components.discovery.instance_actor())


@router.get("/users/{handle}", include_in_schema=False, dependencies=SIGNED_FETCH)
async def actor(handle: str, components: Components) -> Response:
    document = await components.discovery.person(handle)
    return activity_response(document)
