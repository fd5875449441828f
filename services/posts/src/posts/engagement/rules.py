"""Likes and replies, pure: what may be liked or replied to, whether a like counts, and the
events announcing the shared counts."""

from collections.abc import Sequence
from datetime import datetime

from posts.core.rules import (
    InvalidPost,
    Post,
    PostNotFound,
    normalize_text,
    require_visible,
    text_errors,
)
from shared.problems import Forbidden
from shared.public_media import AttachedMedia


class ReplyBlocked(Forbidden):
    def __init__(self) -> None:
        super().__init__("An author of this post blocks you: you cannot reply to it.")


class LikeBlocked(Forbidden):
    def __init__(self) -> None:
        super().__init__("An author of this post blocks you: you cannot like it.")


class ShareBlocked(Forbidden):
    def __init__(self) -> None:
        super().__init__("An author of this post blocks you: you cannot share it.")


def require_engageable(post: Post | None, user_id: str) -> Post:
    """Likes and replies go to published posts the caller may see; anything else is a 404."""
    visible = require_visible(post, user_id)
    if visible.status != "published":
        raise PostNotFound()
    return visible


def credited_author_ids(post: Post) -> tuple[str, ...]:
    return (post.author_id, *post.accepted_ids)


def like_counts(*, active: bool, hidden_by: Sequence[str]) -> bool:
    """A like counts while it is active and no credited author blocks its liker."""
    return active and not hidden_by


def validate_reply_text(text: str, *, max_text_length: int, with_media: bool = False) -> str:
    clean_text = normalize_text(text)
    errors = text_errors(clean_text, max_text_length, with_media=with_media)
    if errors:
        raise InvalidPost("The reply is not valid.", errors=errors)
    return clean_text


def remote_reply_text(text: str, *, max_text_length: int) -> str:
    """A remote reply's text, held to a local reply's rules: cut to the length limit (with an
    ellipsis) rather than refused, since its own server allowed it; otherwise InvalidPost."""
    clean_text = normalize_text(text)
    if len(clean_text) > max_text_length:
        clean_text = clean_text[: max_text_length - 1].rstrip() + "…"
    return validate_reply_text(clean_text, max_text_length=max_text_length)


def new_reply(
    *,
    reply_id: str,
    parent: Post,
    author_id: str,
    text: str,
    now: datetime,
    media: tuple[AttachedMedia, ...] = (),
) -> Post:
    return Post(
        id=reply_id,
        author_id=author_id,
        text=text,
        publish_mode="now",
        status="published",
        created_at=now,
        published_at=now,
        reply_to=parent.id,
        media=media,
    )
