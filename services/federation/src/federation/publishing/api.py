"""GET /posts/{id}: a local post's Note; GET /users/{handle}/outbox: the author's Creates
(`?page=true` for a page, `&cursor=` for the next)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from federation.components import Components
from federation.core.api import FEDERATION_ROUTE, activity_response
from federation.inbox.authorized_fetch import SIGNED_FETCH
from shared.pagination import PageCursor

router = APIRouter(tags=["federation"], dependencies=FEDERATION_ROUTE)


@router.get("/posts/{post_id}", include_in_schema=False, dependencies=SIGNED_FETCH)
async def note(post_id: str, components: Components) -> Response:
    # A local reply to a remote post is served at its post URL too (its Note's id).
    reply = await components.outbound_engagement.reply_note(post_id)
    return activity_response(reply or await components.notes.note(post_id))


@router.get("/users/{handle}/outbox", include_in_schema=False, dependencies=SIGNED_FETCH)
async def outbox(
    handle: str,
    components: Components,
    page: Annotated[bool, Query()] = False,
    cursor: PageCursor = None,
) -> Response:
    if not page:
        return activity_response(await components.notes.outbox(handle))
    return activity_response(await components.notes.outbox_page(handle, cursor))
