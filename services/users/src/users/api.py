"""HTTP routes of the users service: the public /v1 API and the internal service-to-service one."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from shared.eligibility import (
    FEATURES_PATH,
    REMIX_CONSENT_PATH,
    EligibilityRequest,
    EligibilityResponse,
    Features,
    FeaturesRequest,
    RemixConsent,
    RemixConsentRequest,
)
from shared.identity import GATEWAY, CurrentUserId, require_caller
from shared.pagination import DEFAULT_PAGE_SIZE, Page, PageCursor, PageLimit
from shared.service_app import Runtime
from users.repository import UsersRepository
from users.schemas import (
    DeletedUsersResponse,
    FollowRequest,
    MyProfile,
    Profile,
    RegisterRequest,
    TokenRequest,
    TokenResponse,
    UpdateMeRequest,
    User,
)
from users.commands import UsersService


async def get_users_service(request: Request, runtime: Runtime) -> UsersService:
    return UsersService(
        UsersRepository(runtime.db),
        runtime.relay,
        request.app.state.passwords,
        request.app.state.tokens,
        request.app.state.login_backoff,
        producer=runtime.settings.service_name,
        availability=request.app.state.availability,
        clock=request.app.state.clock,
    )


Users = Annotated[UsersService, Depends(get_users_service)]

# A deletion whose write lands while the list is read would be missed by a poll starting at
# "now"; starting the next poll a little earlier repeats some ids, which revoking tolerates.
DELETED_USERS_POLL_OVERLAP = timedelta(seconds=10)

public_router = APIRouter(prefix="/v1", tags=["users"])
internal_router = APIRouter(tags=["internal"])


@public_router.post("/users", status_code=status.HTTP_201_CREATED)
async def register(body: RegisterRequest, users: Users) -> User:
    return await users.register(body)


@public_router.post("/auth/token")
async def issue_token(body: TokenRequest, users: Users) -> TokenResponse:
    return await users.issue_token(body)


@public_router.get("/me")
async def get_me(user_id: CurrentUserId, users: Users) -> MyProfile:
    return await users.my_profile(user_id)


@public_router.patch("/me")
async def update_me(body: UpdateMeRequest, user_id: CurrentUserId, users: Users) -> MyProfile:
    return await users.update_me(user_id, body)


@public_router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(user_id: CurrentUserId, users: Users) -> None:
    await users.delete_me(user_id)


@public_router.get("/users/{handle}")
async def get_profile(handle: str, _: CurrentUserId, users: Users) -> Profile:
    return await users.profile(handle)


@public_router.put("/users/{handle}/follow", status_code=status.HTTP_204_NO_CONTENT)
async def follow(
    handle: str, user_id: CurrentUserId, users: Users, body: FollowRequest | None = None
) -> None:
    await users.follow(user_id, handle, via_post=body.via_post if body else None)


@public_router.delete("/users/{handle}/follow", status_code=status.HTTP_204_NO_CONTENT)
async def unfollow(handle: str, user_id: CurrentUserId, users: Users) -> None:
    await users.unfollow(user_id, handle)


@public_router.put("/users/{handle}/block", status_code=status.HTTP_204_NO_CONTENT)
async def block(handle: str, user_id: CurrentUserId, users: Users) -> None:
    await users.block(user_id, handle)


@public_router.delete("/users/{handle}/block", status_code=status.HTTP_204_NO_CONTENT)
async def unblock(handle: str, user_id: CurrentUserId, users: Users) -> None:
    await users.unblock(user_id, handle)


@public_router.put("/users/{handle}/mute", status_code=status.HTTP_204_NO_CONTENT)
async def mute(handle: str, user_id: CurrentUserId, users: Users) -> None:
    await users.mute(user_id, handle)


@public_router.delete("/users/{handle}/mute", status_code=status.HTTP_204_NO_CONTENT)
async def unmute(handle: str, user_id: CurrentUserId, users: Users) -> None:
    await users.unmute(user_id, handle)


@public_router.get("/me/mutes")
async def my_mutes(
    user_id: CurrentUserId,
    users: Users,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[User]:
    """The accounts the caller mutes, most recently muted first."""
    return await users.mutes(user_id, limit, cursor)


@internal_router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> dict[str, list[dict[str, str]]]:
    keys: dict[str, list[dict[str, str]]] = request.app.state.tokens.jwks()
    return keys


@internal_router.post(
    "/internal/eligibility", dependencies=[Depends(require_caller("posts", "invitations"))]
)
async def eligibility(body: EligibilityRequest, users: Users) -> EligibilityResponse:
    return EligibilityResponse(results=await users.eligibility(body))


@internal_router.post(REMIX_CONSENT_PATH, dependencies=[Depends(require_caller("posts"))])
async def remix_consent(body: RemixConsentRequest, users: Users) -> RemixConsent:
    return await users.remix_consent(body)


@internal_router.post(FEATURES_PATH, dependencies=[Depends(require_caller("posts"))])
async def features(body: FeaturesRequest, users: Users) -> Features:
    return await users.features(body.user_id)


@internal_router.get("/internal/deleted-users", dependencies=[Depends(require_caller(GATEWAY))])
async def deleted_users(since: datetime, users: Users) -> DeletedUsersResponse:
    as_of = datetime.now(UTC) - DELETED_USERS_POLL_OVERLAP
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return DeletedUsersResponse(user_ids=await users.deleted_since(since), as_of=as_of)
