"""Accounts over HTTP: register, sign in, one's own account, profiles; and, internally, the
public keys of the tokens (JWKS) and the accounts deleted lately (for the gateway)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Header, Query, Response, status
from pydantic import AfterValidator

from shared.identity import GATEWAY, CallerCountry, CurrentUserId, require_caller
from shared.openapi import problems
from shared.pagination import Page
from shared.responses import ModelResponse
from users.accounts.commands import SignInClient
from users.accounts.schemas import (
    DeletedUsersResponse,
    MyProfile,
    Profile,
    RegisterRequest,
    TokenRequest,
    TokenResponse,
    UpdateMeRequest,
)
from users.components import Components
from users.core.rules import normalize_handle_prefix
from users.core.schemas import User
from users.sessions.api import ForwardedHost, ForwardedProto, secure_cookie, set_refresh_cookie

router = APIRouter(prefix="/v1", tags=["users"])
internal_router = APIRouter(tags=["internal"])

DEFAULT_SEARCH_RESULTS = 10
MAX_SEARCH_RESULTS = 50

DEVICE_COOKIE = "copost_device"
# Sent back only to sign-ins: no other route has any use for it.
DEVICE_COOKIE_PATH = "/v1/auth"

# The client's address as the gateway saw it (the gateway replaces any the client sent).
ClientAddress = Annotated[str | None, Header(alias="x-forwarded-for", include_in_schema=False)]


@router.post(
    "/users", status_code=status.HTTP_201_CREATED, name="register", responses=problems(409)
)
async def register(
    body: RegisterRequest, components: Components, address: ClientAddress = None
) -> User:
    return await components.accounts.register(body, SignInClient(address=address))


@router.post("/auth/token", name="sign_in", responses=problems(401, 429))
async def issue_token(
    body: TokenRequest,
    response: Response,
    components: Components,
    address: ClientAddress = None,
    copost_device: Annotated[str | None, Cookie()] = None,
    forwarded_proto: ForwardedProto = None,
    forwarded_host: ForwardedHost = None,
) -> TokenResponse:
    """Also sets `copost_device`: this client signed in to the account once, so its wrong
    passwords count in a budget of their own, which guesses from elsewhere cannot spend;
    and `copost_refresh`, the session's refresh token (`POST /v1/auth/refresh`)."""
    signed_in = await components.accounts.issue_token(
        body, SignInClient(address=address, device_token=copost_device)
    )
    response.set_cookie(
        DEVICE_COOKIE,
        signed_in.device_token.access_token,
        max_age=signed_in.device_token.expires_in,
        path=DEVICE_COOKIE_PATH,
        secure=forwarded_proto == "https",
        httponly=True,
        samesite="strict",
    )
    set_refresh_cookie(
        response,
        signed_in.refresh,
        signed_in.token.refresh_expires_in,
        secure=secure_cookie(forwarded_proto, forwarded_host),
    )
    return signed_in.token


@router.get("/me", response_model=MyProfile, name="me")
async def get_me(
    user_id: CurrentUserId, country: CallerCountry, components: Components
) -> ModelResponse:
    return ModelResponse(await components.account_queries.my_profile(user_id, country))


@router.patch("/me", name="update_me")
async def update_me(
    body: UpdateMeRequest, user_id: CurrentUserId, country: CallerCountry, components: Components
) -> MyProfile:
    await components.accounts.update_me(user_id, body)
    return await components.account_queries.my_profile(user_id, country)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, name="delete_me")
async def delete_me(user_id: CurrentUserId, components: Components) -> None:
    await components.accounts.delete_me(user_id)


@router.get("/users", name="search")
async def search_users(
    q: Annotated[
        str,
        Query(max_length=100, description="The start of a handle: 2 or more characters"),
        AfterValidator(normalize_handle_prefix),
    ],
    user_id: CurrentUserId,
    components: Components,
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_RESULTS)] = DEFAULT_SEARCH_RESULTS,
) -> Page[User]:
    """Accounts whose handle starts with `q`, in handle order, but for those that block the
    caller (for co-author autocomplete); no cursor: a longer `q` narrows the list."""
    return Page(items=await components.account_queries.search(user_id, q, limit), next_cursor=None)


@router.get("/users/{handle}", response_model=Profile, name="get", responses=problems(404))
async def get_profile(handle: str, user_id: CurrentUserId, components: Components) -> ModelResponse:
    return ModelResponse(await components.account_queries.profile(handle, user_id))


@internal_router.get("/.well-known/jwks.json")
async def jwks(components: Components) -> dict[str, list[dict[str, str]]]:
    return components.tokens.jwks()


@internal_router.get("/internal/deleted-users", dependencies=[Depends(require_caller(GATEWAY))])
async def deleted_users(since: datetime, components: Components) -> DeletedUsersResponse:
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return await components.account_queries.deleted_since(since)
