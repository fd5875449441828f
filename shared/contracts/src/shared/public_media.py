"""The Media object of the public API (API.md), as media, posts and timeline return it."""

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from shared.public_user import Avatar

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


class AttachedMedia(BaseModel):
    """A medium as it travels with its post (events, post documents, timeline cards): enough to
    render it without asking the media service. Attached media are ready by definition."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: MediaKind
    alt_text: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    blurhash: str | None = None
    variants: tuple[str, ...] = ()
    # One more at every edit of the alt text: of two copies, the higher is the newer.
    alt_text_version: int = 1

    def out(self) -> MediaOut:
        """The Media object of a post that others see: public paths (the media service serves
        them once the post is published)."""
        return MediaOut(
            id=self.id,
            kind=self.kind,
            status="ready",
            alt_text=self.alt_text,
            width=self.width,
            height=self.height,
            duration_s=self.duration_s,
            blurhash=self.blurhash,
            variants={name: media_path(self.id, name) for name in self.variants},
        )


def newest_media(
    media: tuple[AttachedMedia, ...], others: Iterable[AttachedMedia]
) -> tuple[AttachedMedia, ...]:
    """`media`, each replaced by the copy of it in `others` with newer alt text, if any: how a
    post or a card takes an alt-text edit, whatever order the copies arrive in."""
    newer = {other.id: other for other in others}
    return tuple(
        newer[medium.id]
        if medium.id in newer and newer[medium.id].alt_text_version > medium.alt_text_version
        else medium
        for medium in media
    )


# The posts service attaches a caller's uploads to a new post (or reserves them for a proposed
# edit of one) through this internal route.
ATTACH_PATH = "/internal/media/attach"
MAX_MEDIA_PER_POST = 4
MAX_ALT_TEXT = 1500

type AttachRefusal = Literal["unknown", "attached", "not_ready", "composition"]


class AttachRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner_id: str
    post_id: str
    media_ids: list[str]
    # Public at once: the post is published as it is created (else when post.published says).
    public: bool
    # Reserved for this proposed edit of the post: freed if the edit ends without applying.
    edit_id: str | None = None


class AttachAnswer(BaseModel):
    """`media` in the order asked, or why not (`media_id` names the medium refused)."""

    media: list[AttachedMedia] = []
    refusal: AttachRefusal | None = None
    media_id: str | None = None


# The invitations service (in invitations) and the posts service (in the post itself) show a
# pending post's media to those who may see it through this route: the answer carries URLs
# they may load (signed, short-lived, while the post is not published).
PREVIEWS_PATH = "/internal/media/previews"
# Posts previewed per call: a page of invitations or of posts at most.
MAX_PREVIEWED_POSTS = 100


class PostMediaIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_id: str
    media_ids: list[str] = Field(max_length=MAX_MEDIA_PER_POST)


class PreviewsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    posts: list[PostMediaIds] = Field(max_length=MAX_PREVIEWED_POSTS)


class PreviewsAnswer(BaseModel):
    """The media still on the post each was asked with (the others are left out)."""

    media: list[MediaOut] = []


# The users service sets (or, with no media_id, removes) an account's profile picture here.
AVATAR_PATH = "/internal/media/avatar"

type AvatarRefusal = Literal["unknown", "not_a_picture"]


class AvatarRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner_id: str
    media_id: str | None


class AvatarAnswer(BaseModel):
    avatar: Avatar | None = None
    refusal: AvatarRefusal | None = None
