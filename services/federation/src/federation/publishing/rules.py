"""A local post as the fediverse reads it: one Note credited to the author first, then each
accepted co-author (servers that read only the first `attributedTo` still credit the author),
wrapped in the author's Create."""

import html
from typing import Any

from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls
from shared.events.posts import PostPublished

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def note_of(post: PostPublished, handles: list[str], urls: LocalUrls) -> dict[str, Any]:
    """`handles`: the author's, then each co-author's, in the post's order."""
    note_id = urls.post(post.post_id)
    return {
        "id": note_id,
        "type": "Note",
        "attributedTo": [urls.actor(handle) for handle in handles],
        "content": html_of(post.text),
        "published": _timestamp(post),
        "url": note_id,
        "to": [PUBLIC],
        "cc": [urls.followers(handle) for handle in handles],
    }


def create_of(note: dict[str, Any], author_handle: str, urls: LocalUrls) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": urls.actor(author_handle),
        "published": note["published"],
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }


def html_of(text: str) -> str:
    """Post text as the HTML a Note carries: escaped, one paragraph, line breaks kept."""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


def _timestamp(post: PostPublished) -> str:
    return post.published_at.isoformat().replace("+00:00", "Z")
