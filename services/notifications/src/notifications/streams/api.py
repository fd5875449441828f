"""The live stream over HTTP: GET /v1/notifications/stream, Server-Sent Events."""

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Header, Request
from starlette.responses import StreamingResponse

from notifications.components import Components
from notifications.streams.queries import STREAM_HEADERS, STREAM_MEDIA_TYPE
from notifications.streams.rules import parse_last_event_id
from shared.identity import CurrentUserId
from shared.openapi import problems

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {STREAM_MEDIA_TYPE: {}},
            "description": "Server-Sent Events: `notification` (JSON Notification, with an `id:`"
            " to resume from as Last-Event-ID) and `home.updated` (the id of a post new in the"
            " caller's home timeline; no `id:`).",
        },
        **problems(400),
    },
    name="stream",
)
async def stream_notifications(
    request: Request,
    user_id: CurrentUserId,
    components: Components,
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
) -> StreamingResponse:
    # The position is fixed before answering: whatever is stored after the client sees the
    # response headers is delivered.
    streams = components.streams
    position = await streams.open_position(user_id, parse_last_event_id(last_event_id))
    body = streams.events(request, user_id, position)
    # Its first step takes one of the account's stream slots: a 429 must come before a 200.
    first = await anext(body)
    return StreamingResponse(
        _preceded_by(first, body), media_type=STREAM_MEDIA_TYPE, headers=STREAM_HEADERS
    )


async def _preceded_by(first: bytes, rest: AsyncGenerator[bytes]) -> AsyncIterator[bytes]:
    async with aclosing(rest):  # frees the stream slot however the response ends
        yield first
        async for chunk in rest:
            yield chunk
