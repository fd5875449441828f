"""The shapes the gateway reads from the users service: its key set and deleted accounts."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class JsonWebKeySet(BaseModel):
    model_config = ConfigDict(extra="ignore")

    keys: list[dict[str, Any]]


class DeletedUsers(BaseModel):
    """`GET /internal/deleted-users?since=`: accounts deleted at or after `since`."""

    model_config = ConfigDict(extra="ignore")

    user_ids: list[str]
    as_of: datetime
