"""One's notifications over HTTP (/v1/notifications): the list, and marking them read."""

from fastapi import APIRouter

from notifications.components import Components
from notifications.core.schemas import MarkRead, NotificationPage, UnreadCount
from shared.identity import CurrentUserId
from shared.pagination import DEFAULT_PAGE_SIZE, PageCursor, PageLimit
from shared.responses import ModelResponse

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get("", response_model=NotificationPage, name="list")
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


@router.post("/read", name="mark_read")
async def mark_notifications_read(
    body: MarkRead, user_id: CurrentUserId, components: Components
) -> UnreadCount:
    unread = await components.notifications.mark_read(user_id, None if body.all else body.ids)
    return UnreadCount(unread_count=unread)
