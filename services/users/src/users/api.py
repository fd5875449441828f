"""HTTP routes of the users service: the public /v1 API and the internal service-to-service one."""

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, status

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
from shared.responses import ModelResponse
from users.components import Components
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

public_router = APIRouter(prefix="/v1", tags=["users"])
internal_router = APIRouter(tags=["internal"])


@public_router.post("/users", status_code=status.HTTP_201_CREATED)
async def register(body: RegisterRequest, components: Components) -> User:
    return await components.commands.register(body)


@public_router.post("/auth/token")
async def issue_token(body: TokenRequest, components: Components) -> TokenResponse:
    return await components.commands.issue_token(body)


@public_router.get("/me", response_model=MyProfile)
async def get_me(user_id: CurrentUserId, components: Components) -> ModelResponse:
    return ModelResponse(await components.queries.my_profile(user_id))


@public_router.patch("/me")
async def update_me(
    body: UpdateMeRequest, user_id: CurrentUserId, components: Components
) -> MyProfile:
    await components.commands.update_me(user_id, body)
    return await components.queries.my_profile(user_id)


@public_router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(user_id: CurrentUserId, components: Components) -> None:
    await components.commands.delete_me(user_id)


@public_router.get("/users/{handle}", response_model=Profile)
async def get_profile(handle: str, _: CurrentUserId, components: Components) -> ModelResponse:
    return ModelResponse(await components.queries.profile(handle))


@public_router.put("/users/{handle}/follow", status_code=status.HTTP_204_NO_CONTENT)
async def follow(
    handle: str, user_id: CurrentUserId, components: Components, body: FollowRequest | None = None
) -> None:
    await components.commands.follow(user_id, handle, via_post=body.via_post if body else None)


@public_router.delete("/users/{handle}/follow", status_code=status.HTTP_204_NO_CONTENT)
async def unfollow(handle: str, user_id: CurrentUserId, components: Components) -> None:
    await components.commands.unfollow(user_id, handle)


@public_router.put("/users/{handle}/block", status_code=status.HTTP_204_NO_CONTENT)
async def block(handle: str, user_id: CurrentUserId, components: Components) -> None:
    await components.commands.block(user_id, handle)


@public_router.delete("/users/{handle}/block", status_code=status.HTTP_204_NO_CONTENT)
async def unblock(handle: str, user_id: CurrentUserId, components: Components) -> None:
    await components.commands.unblock(user_id, handle)


@public_router.put("/users/{handle}/mute", status_code=status.HTTP_204_NO_CONTENT)
async def mute(handle: str, user_id: CurrentUserId, components: Components) -> None:
    await components.commands.mute(user_id, handle)


@public_router.delete("/users/{handle}/mute", status_code=status.HTTP_204_NO_CONTENT)
async def unmute(handle: str, user_id: CurrentUserId, components: Components) -> None:
    await components.commands.unmute(user_id, handle)


@public_router.get("/me/mutes")
async def my_mutes(
    user_id: CurrentUserId,
    components: Components,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> Page[User]:
    """The accounts the caller mutes, most recently muted first."""
    return await components.queries.mutes(user_id, limit, cursor)


@internal_router.get("/.well-known/jwks.json")
async def jwks(components: Components) -> dict[str, list[dict[str, str]]]:
    return components.tokens.jwks()


@internal_router.post(
    "/internal/eligibility", dependencies=[Depends(require_caller("posts", "invitations"))]
)
async def eligibility(body: EligibilityRequest, components: Components) -> EligibilityResponse:
    return EligibilityResponse(results=await components.queries.eligibility(body))


@internal_router.post(REMIX_CONSENT_PATH, dependencies=[Depends(require_caller("posts"))])
async def remix_consent(body: RemixConsentRequest, components: Components) -> RemixConsent:
    return await components.queries.remix_consent(body)


@internal_router.post(FEATURES_PATH, dependencies=[Depends(require_caller("posts"))])
async def features(body: FeaturesRequest, components: Components) -> Features:
    return await components.features.of_user(body.user_id)


@internal_router.get("/internal/deleted-users", dependencies=[Depends(require_caller(GATEWAY))])
async def deleted_users(since: datetime, components: Components) -> DeletedUsersResponse:
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return await components.queries.deleted_since(since)
