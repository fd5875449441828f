"""Which uploads a post may carry, pure: the caller's own, ready, not on another post; up to
four pictures or one video."""

from collections.abc import Mapping, Sequence

from media.core.repository import alt_text_version
from shared.mongo import Document
from shared.public_media import MAX_MEDIA_PER_POST, AttachedMedia, AttachRefusal

type Refusal = tuple[AttachRefusal, str | None]


def refusal_of(
    media_ids: Sequence[str], found: Mapping[str, Document], owner_id: str, post_id: str
) -> Refusal | None:
    """Why these media may not go on this post, or None. Someone else's upload is `unknown`
    (it is not to be told apart from one that does not exist)."""
    for media_id in media_ids:
        document = found.get(media_id)
        if document is None or document["owner_id"] != owner_id:
            return "unknown", media_id
        if document.get("post_id") not in (None, post_id):
            return "attached", media_id
        if document["status"] != "ready":
            return "not_ready", media_id
    kinds = [found[media_id]["kind"] for media_id in media_ids]
    too_many = len(media_ids) > MAX_MEDIA_PER_POST or len(set(media_ids)) < len(media_ids)
    if too_many or ("video" in kinds and len(kinds) > 1):
        return "composition", None
    return None


def attached(document: Document) -> AttachedMedia:
    return AttachedMedia(
        id=document["_id"],
        kind=document["kind"],
        alt_text=document.get("alt_text"),
        width=document.get("width"),
        height=document.get("height"),
        duration_s=document.get("duration_s"),
        blurhash=document.get("blurhash"),
        variants=tuple(document.get("variants", {})),
        alt_text_version=alt_text_version(document),
    )
