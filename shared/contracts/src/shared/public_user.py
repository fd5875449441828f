"""The User object of the public API: what services render and exchange about an account."""

from datetime import datetime

from pydantic import BaseModel


class PublicUser(BaseModel):
    """The User object of the public API."""

    id: str
    handle: str
    display_name: str
    created_at: datetime
