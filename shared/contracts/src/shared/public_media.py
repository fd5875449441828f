"""The Media object of the public API (API.md), as media, posts and timeline return it."""

from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.config import JsonDict

type MediaKind = Literal["image", "video"]
type MediaStatus = Literal["processing", "ready", "failed"]

# Gateway paths (relative to the gateway) under which every variant is served.
MEDIA_PATH_PREFIX = "/media/"

MEDIA_EXAMPLE: JsonDict = {
    "id": "6756f1d3b2c3d4e5f6071830",
    "kind": "image",
    "status": "ready",
    "alt_text": "A watercolour of the harbour at dusk.",
    "width": 1600,
    "height": 1067,
    "duration_s": None,
    "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    "variants": {
        "small": "/media/6756f1d3b2c3d4e5f6071830/small",
        "large": "/media/6756f1d3b2c3d4e5f6071830/large",
        "original": "/media/6756f1d3b2c3d4e5f6071830/original",
    },
}


def media_path(media_id: str, variant: str) -> str:
    """Where the gateway serves one variant of a medium (public media need nothing more)."""
    return f"{MEDIA_PATH_PREFIX}{media_id}/{variant}"


class MediaOut(BaseModel):
    """`variants` maps each variant's name to its URL: `small` and `large` (and `original`) for
    pictures, `video` and `poster` for videos; signed, short-lived URLs while not public."""

    model_config = ConfigDict(json_schema_extra={"examples": [MEDIA_EXAMPLE]})

    id: str
    kind: MediaKind
    status: MediaStatus
    alt_text: str | None
    width: int | None
    height: int | None
    duration_s: float | None = None
    blurhash: str | None
    variants: dict[str, str]
