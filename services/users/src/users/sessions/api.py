"""Sessions over HTTP: renew the access token with the refresh token, and sign out."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Cookie, Header, Response, status

from shared.identity import CurrentUserId
from shared.openapi import problems
from users.accounts.schemas import RefreshRequest, TokenResponse
from users.components import Components
from users.sessions.rules import REFRESH_COOKIE, REFRESH_COOKIE_PATH, RefreshToken

router = APIRouter(prefix="/v1", tags=["users"])

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# How the client reached the gateway (the gateway replaces any the client sent).
ForwardedProto = Annotated[str | None, Header(alias="x-forwarded-proto", include_in_schema=False)]
ForwardedHost = Annotated[str | None, Header(alias="x-forwarded-host", include_in_schema=False)]
RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE)]


def secure_cookie(proto: str | None, host: str | None) -> bool:
    """Secure, except over plain HTTP to this machine (a browser keeps no Secure cookie
    from a plain-HTTP origin, and `make run` serves http://127.0.0.1)."""
    return proto == "https" or urlsplit(f"//{host or ''}").hostname not in LOOPBACK_HOSTS


def set_refresh_cookie(
    response: Response, refresh: RefreshToken, max_age: int, *, secure: bool
) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        refresh.token,
        max_age=max_age,
        path=REFRESH_COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="strict",
    )


@router.post("/auth/refresh", name="refresh", responses=problems(401))
async def refresh(
    response: Response,
    components: Components,
    body: RefreshRequest | None = None,
    cookie: RefreshCookie = None,
    proto: ForwardedProto = None,
    host: ForwardedHost = None,
) -> TokenResponse:
    """The refresh token (the body's, else the cookie's) is spent; presenting a spent one
    ends its whole session (every token rotated from the same sign-in): 401."""
    token = body.refresh_token if body and body.refresh_token else cookie
    renewed = await components.sessions.refresh(token)
    set_refresh_cookie(
        response,
        renewed.refresh,
        renewed.token.refresh_expires_in,
        secure=secure_cookie(proto, host),
    )
    return renewed.token


@router.post(
    "/auth/logout", status_code=status.HTTP_204_NO_CONTENT, name="logout", responses=problems(401)
)
async def logout(
    response: Response,
    user_id: CurrentUserId,
    components: Components,
    body: RefreshRequest | None = None,
    cookie: RefreshCookie = None,
    proto: ForwardedProto = None,
    host: ForwardedHost = None,
) -> None:
    """Ends the session of the refresh token given (the body's, else the cookie's), or,
    with none, every session of the caller."""
    token = body.refresh_token if body and body.refresh_token else cookie
    await components.sessions.end(user_id, token)
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        secure=secure_cookie(proto, host),
        httponly=True,
        samesite="strict",
    )
