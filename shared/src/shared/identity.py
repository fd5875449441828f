"""Who is calling: the user id the gateway verified, forwarded in a header clients cannot set."""

from typing import Annotated

from fastapi import Depends, Request

from shared.problems import Unauthorized

USER_ID_HEADER = "X-CoPost-User-Id"
REQUEST_ID_HEADER = "X-Request-ID"


async def current_user_id(request: Request) -> str:
    user_id = request.headers.get(USER_ID_HEADER)
    if not user_id:
        raise Unauthorized()
    return user_id


CurrentUserId = Annotated[str, Depends(current_user_id)]
