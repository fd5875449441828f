"""The one way services call each other over HTTP: httpx, with the request id passed along."""

import httpx

from shared.identity import REQUEST_ID_HEADER
from shared.logging import request_id_var


async def _propagate_request_id(request: httpx.Request) -> None:
    if (request_id := request_id_var.get()) and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def create_internal_client(
    base_url: str, *, timeout_seconds: float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_seconds),
        transport=transport,
        event_hooks={"request": [_propagate_request_id]},
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
    )
