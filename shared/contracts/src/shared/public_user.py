"""The User object of the public API: what services render and exchange about an account."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic.config import JsonDict

USER_EXAMPLE: JsonDict = {
    "id": "6756f0c2a1b2c3d4e5f60718",
    "handle": "ada",
    "display_name": "Ada Lovelace",
    "created_at": "2026-12-06T09:30:00Z",
    "avatar": None,
}


class Avatar(BaseModel):
    """A profile picture's URLs (gateway paths), cropped square: `small` for cards and lists,
    `large` for profiles."""

    model_config = ConfigDict(frozen=True)

    small: str
    large: str


class PublicUser(BaseModel):
    """The User object of the public API."""

    model_config = ConfigDict(json_schema_extra={"examples": [USER_EXAMPLE]})

    id: str
    handle: str
    display_name: str
    created_at: datetime
    avatar: Avatar | None = None
