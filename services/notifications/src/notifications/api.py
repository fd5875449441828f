"""The public notification routes (/v1/notifications): thin, HTTP only."""

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Header, Request
from starlette.responses import StreamingResponse

from notifications.components import Components
from notifications.domain import parse_last_event_id
from notifications.schemas import MarkRead, NotificationPage, UnreadCount
from notifications.stream import STREAM_HEADERS, STREAM_MEDIA_TYPE
from shared.identity import CurrentUserId
from shared.pagination import DEFAULT_PAGE_SIZE, PageCursor, PageLimit
from shared.responses import ModelResponse

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get("", response_model=NotificationPage)
async def list_notifications(
    user_id: CurrentUserId,
    components: Components,
    unread_only: bool = False,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> ModelResponse:
    page = await components.queries.page_for(
        user_id, unread_only=unread_only, limit=limit, cursor=cursor
    )
    return ModelResponse(page)


@router.post("/read")
async def mark_notifications_read(
    body: MarkRead, user_id: CurrentUserId, components: Components
) -> UnreadCount:
    unread = await components.notifier.mark_read(user_id, None if body.all else body.ids)
    return UnreadCount(unread_count=unread)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {STREAM_MEDIA_TYPE: {}}, "description": "Server-Sent Events"}},
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
