"""Request bodies of the media routes."""

from pydantic import ConfigDict, Field

from shared.public_media import MAX_ALT_TEXT
from shared.request_body import RequestBody


class MediaUpdate(RequestBody):
    """The alt text alone may change (null or blank removes it)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"alt_text": "A watercolour of the harbour at dusk."}]}
    )

    alt_text: str | None = Field(default=None, max_length=MAX_ALT_TEXT)
