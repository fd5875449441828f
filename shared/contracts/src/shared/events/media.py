"""Events published by the media service."""

from datetime import datetime
from typing import Literal

from shared.events.envelope import EventData


class MediaProcessed(EventData):
    """A video finished processing: `ready` to attach and play, or `failed` for good."""

    event_type = "media.processed"
    media_id: str
    owner_id: str
    status: Literal["ready", "failed"]
    processed_at: datetime
