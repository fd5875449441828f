"""Events published by the media service."""

from datetime import datetime
from typing import Literal

from shared.events.envelope import EventData
from shared.public_media import AttachedMedia


class MediaProcessed(EventData):
    """A video finished processing: `ready` to attach and play, or `failed` for good."""

    event_type = "media.processed"
    media_id: str
    owner_id: str
    status: Literal["ready", "failed"]
    processed_at: datetime


class MediaAltTextChanged(EventData):
    """The uploader edited the alt text of a medium on a post. `medium` is the whole medium as
    posts and cards keep it; its `alt_text_version` orders the edits, so a late or repeated
    event changes nothing."""

    event_type = "media.alt_text_changed"
    media_id: str
    owner_id: str
    post_id: str
    medium: AttachedMedia
    changed_at: datetime
