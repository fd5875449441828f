"""Accounts over HTTP: register, sign in, one's own account, profiles; and, internally, the
public keys of the tokens (JWKS) and the accounts deleted lately (for the gateway)."""

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, status

from shared.identity import GATEWAY, CurrentUserId, require_caller
from shared.openapi import problems
from shared.responses import ModelResponse
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
from users.core.schemas import User

router = APIRouter(prefix="/v1", tags=["users"])
internal_router = APIRouter(tags=["internal"])


@router.post(
    "/users", status_code=status.HTTP_201_CREATED, name="register", responses=problems(409)
)
async def register(body: RegisterRequest, components: Components) -> User:
    return await components.accounts.register(body)


@router.post("/auth/token", name="sign_in", responses=problems(401))
async def issue_token(body: TokenRequest, components: Components) -> TokenResponse:
    return await components.accounts.issue_token(body)


@router.get("/me", response_model=MyProfile, name="me")
async def get_me(user_id: CurrentUserId, components: Components) -> ModelResponse:
    return ModelResponse(await components.account_queries.my_profile(user_id))


@router.patch("/me", name="update_me")
async def update_me(
    body: UpdateMeRequest, user_id: CurrentUserId, components: Components
) -> MyProfile:
    await components.accounts.update_me(user_id, body)
    return await components.account_queries.my_profile(user_id)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, name="delete_me")
async def delete_me(user_id: CurrentUserId, components: Components) -> None:
    await components.accounts.delete_me(user_id)


@router.get("/users/{handle}", response_model=Profile, name="get", responses=problems(404))
async def get_profile(handle: str, _: CurrentUserId, components: Components) -> ModelResponse:
    return ModelResponse(await components.account_queries.profile(handle))


@internal_router.get("/.well-known/jwks.json")
async def jwks(components: Components) -> dict[str, list[dict[str, str]]]:
    return components.tokens.jwks()


@internal_router.get("/internal/deleted-users", dependencies=[Depends(require_caller(GATEWAY))])
async def deleted_users(since: datetime, components: Components) -> DeletedUsersResponse:
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return await components.account_queries.deleted_since(since)
