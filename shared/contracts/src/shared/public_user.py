"""The User object of the public API: what services render and exchange about an account."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

USER_EXAMPLE: JsonDict = {
    "id": "6756f0c2a1b2c3d4e5f60718",
    "handle": "ada",
    "display_name": "Ada Lovelace",
    "created_at": "2026-12-06T09:30:00Z",
}


class Relationship(BaseModel):
    """The caller's view of another account: whether it follows it, is followed by it, blocks
    it and mutes it."""

    following: bool
    followed_by: bool
    blocking: bool
    muting: bool


class PublicUser(BaseModel):
    """The User object of the public API."""

    model_config = ConfigDict(json_schema_extra={"examples": [USER_EXAMPLE]})

    id: str
    handle: str
    display_name: str
    created_at: datetime
    # Where the users service answers for a signed-in caller (profiles, user lists), the
    # caller's relationship to this account; absent on the caller's own object, and where
    # the answering service does not know it.
    relationship: Relationship | None = Field(default=None, exclude_if=lambda value: value is None)
