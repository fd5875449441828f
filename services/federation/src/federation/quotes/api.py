"""GET /users/{handle}/quote_authorizations/{remix_id}: an original's author's consent to a
quote of it (FEP-044f's QuoteAuthorization), 410 Gone once revoked."""

from fastapi import APIRouter, Response

from federation.components import Components
from federation.consent.api import GONE
from federation.core.api import FEDERATION_ROUTE, activity_response

router = APIRouter(tags=["federation"], dependencies=FEDERATION_ROUTE)


@router.get("/users/{handle}/quote_authorizations/{remix_id}", include_in_schema=False)
async def quote_authorization(handle: str, remix_id: str, components: Components) -> Response:
    served = await components.quote_queries.authorization(handle, remix_id)
    return activity_response(served.document, status_code=GONE if served.gone else 200)
