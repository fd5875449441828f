"""The contract of "may A invite B as a co-author?": users answers it, posts and invitations ask.

`POST /internal/eligibility` on the users service; these models are its request and answer.
Eligible means the invitee exists, is not the inviter, neither blocks the other, and the
invitee's collab policy admits the inviter. "Already invited or credited" is the posts
service's own check.
"""

from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from shared.public_user import PublicUser
from shared.request_body import RequestBody

ELIGIBILITY_PATH = "/internal/eligibility"
MAX_INVITEES_PER_CHECK = 100


class IneligibilityReason(StrEnum):
    UNKNOWN_USER = "unknown_user"
    SELF = "self"
    INVITER_UNKNOWN = "inviter_unknown"
    BLOCKED = "blocked"
    POLICY_NOBODY = "policy_nobody"
    POLICY_FOLLOWING = "policy_following"


class EligibilityRequest(RequestBody):
    """Invitees by handle (inviting) or by id (accepting): exactly one of the two."""

    inviter_id: str
    invitee_handles: list[str] | None = Field(default=None, max_length=MAX_INVITEES_PER_CHECK)
    invitee_ids: list[str] | None = Field(default=None, max_length=MAX_INVITEES_PER_CHECK)

    @model_validator(mode="after")
    def _one_kind_of_invitee(self) -> Self:
        if (self.invitee_handles is None) == (self.invitee_ids is None):
            raise ValueError("give exactly one of invitee_handles and invitee_ids")
        return self

    @property
    def invitee_count(self) -> int:
        return len(self.invitee_handles or self.invitee_ids or [])


class EligibilityResult(BaseModel):
    """One invitee's answer; `user` is set whenever the invitee exists."""

    handle: str | None
    user_id: str | None
    user: PublicUser | None
    eligible: bool
    reason: IneligibilityReason | None


class EligibilityResponse(BaseModel):
    """One result per invitee, in the order they were asked about."""

    results: list[EligibilityResult]


# -- remixes and features ---------------------------------------------------------
# `POST /internal/remix-consent`: may the remixer remix a post of the original's author, and
# does that author approve by hand? `POST /internal/features`: what an account may use today.

REMIX_CONSENT_PATH = "/internal/remix-consent"
FEATURES_PATH = "/internal/features"

RemixApproval = Literal["automatic", "manual"]


class RemixRefusal(StrEnum):
    REMIXER_UNKNOWN = "remixer_unknown"
    ORIGINAL_AUTHOR_UNKNOWN = "original_author_unknown"
    BLOCKED = "blocked"
    POLICY_NOBODY = "policy_nobody"
    POLICY_FOLLOWING = "policy_following"


class RemixConsentRequest(RequestBody):
    remixer_id: str
    original_author_id: str
    # The original's other credited authors: a block between any of them and the remixer refuses.
    original_coauthor_ids: list[str] = Field(
        default_factory=list, max_length=MAX_INVITEES_PER_CHECK
    )


class RemixConsent(BaseModel):
    """`approval` is how the original's author admits remixes it allows (None when refused)."""

    allowed: bool
    approval: RemixApproval | None
    reason: RemixRefusal | None


class FeaturesRequest(RequestBody):
    user_id: str
    # Where the user's request comes from, as the gateway's assertion says (trusted); None
    # when no trusted proxy said.
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class Features(BaseModel):
    """The features of a limited test an account may use now (API.md: `/v1/me` `features`)."""

    coauthoring: bool
    remix: bool


BLOCKERS_PATH = "/internal/blockers"
# A page of posts' credited authors, and then some.
MAX_BLOCKERS_PER_CHECK = 600


class BlockersRequest(RequestBody):
    """Which of `among` block `user_id` now: asked where a block must hold at once, before
    the event announcing it has reached the asking service."""

    user_id: str
    among: list[str] = Field(max_length=MAX_BLOCKERS_PER_CHECK)


class BlockersResponse(BaseModel):
    blocker_ids: list[str]
