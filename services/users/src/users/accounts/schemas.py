"""Request and response bodies of accounts: registering, signing in, profiles, deletions."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from shared.eligibility import Features
from shared.events.users import KeepCoauthoredPosts
from shared.public_user import PublicUser
from shared.request_body import RequestBody
from users.accounts.rules import normalize_display_name
from users.core.rules import (
    CollabPolicy,
    RemixApproval,
    RemixPolicy,
    normalize_country,
    normalize_new_handle,
)

NewHandle = Annotated[str, Field(max_length=64), AfterValidator(normalize_new_handle)]
DisplayName = Annotated[str, Field(max_length=200), AfterValidator(normalize_display_name)]
Password = Annotated[str, Field(min_length=8, max_length=128)]
Country = Annotated[str, Field(max_length=8), AfterValidator(normalize_country)]


class RegisterRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"handle": "ada", "password": "correct horse battery", "display_name": "Ada"}
            ]
        }
    )

    handle: NewHandle
    password: Password
    display_name: DisplayName
    country: Country | None = None


class TokenRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"handle": "ada", "password": "correct horse battery"}]}
    )

    # Loose on purpose: any wrong pair is the same 401, whatever its shape.
    handle: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class TokenResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOi...",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": "q3Xh...",
                    "refresh_expires_in": 2592000,
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 -- the OAuth token type, not a secret
    expires_in: int
    # Also set as the `copost_refresh` cookie (HttpOnly, for /v1/auth only).
    refresh_token: str
    refresh_expires_in: int


class RefreshRequest(RequestBody):
    """Without a token here, the `copost_refresh` cookie's is used."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": "q3Xh..."}]})

    refresh_token: str | None = Field(default=None, max_length=256)


class UpdateMeRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"display_name": "Ada L.", "collab_policy": "following"}]}
    )

    display_name: DisplayName | None = None
    collab_policy: CollabPolicy | None = None
    remix_policy: RemixPolicy | None = None
    remix_approval: RemixApproval | None = None
    # What happens to the posts this account wrote with co-authors when it is deleted.
    keep_coauthored_posts: KeepCoauthoredPosts | None = None
    # null clears it: an account need not say where it is.
    country: Country | None = None
    # One of the caller's own pictures (POST /v1/media), cropped square; null removes it.
    avatar_media_id: str | None = Field(default=None, min_length=1, max_length=100)

    @field_validator(
        "display_name",
        "collab_policy",
        "remix_policy",
        "remix_approval",
        "keep_coauthored_posts",
        mode="before",
    )
    @classmethod
    def _omitted_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("omit the field to keep it; it cannot be null")
        return value


class Profile(PublicUser):
    followers_count: int
    following_count: int
    # A remote account's server and ActivityPub actor; absent on an account of this instance.
    domain: str | None = Field(default=None, exclude_if=lambda value: value is None)
    actor_url: str | None = Field(default=None, exclude_if=lambda value: value is None)


class MyProfile(Profile):
    collab_policy: CollabPolicy
    remix_policy: RemixPolicy
    remix_approval: RemixApproval
    keep_coauthored_posts: KeepCoauthoredPosts = "delete"
    country: str | None
    features: Features


class DeletedUsersResponse(BaseModel):
    user_ids: list[str]
    as_of: datetime
