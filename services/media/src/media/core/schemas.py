"""Request bodies of the media routes."""

from pydantic import BaseModel, Field

MAX_ALT_TEXT = 1500


class MediaUpdate(BaseModel):
    alt_text: str | None = Field(default=None, max_length=MAX_ALT_TEXT)
