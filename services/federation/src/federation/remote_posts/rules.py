"""What a remote Note is here, free of I/O: whose it is, whom it is for, and its content as
plain text (HTML reduced to what it shows: markup and scripts dropped, entities decoded, line
breaks kept)."""

from datetime import datetime
from typing import Any

from federation.core.notes import is_public, text_of
from federation.core.urls import LocalUrls
from shared.events.federation import RemoteAttachment

NOTE_TYPES = frozenset({"Note", "Article", "Page"})
ATTACHMENT_TYPES = frozenset({"Document", "Image", "Video", "Audio"})
# Mastodon allows 4 media a post, Misskey 16: more than any server sends is not kept.
MAX_ATTACHMENTS = 16
MAX_ALT_TEXT_CHARS = 1_500


def created_note(create: dict[str, Any]) -> dict[str, Any] | None:
    """The Note a Create carries, when it is one of its actor's, with an id, public, and not a
    reply (replies are their posts' threads' business). A Note addressed to a few is a private
    message: as a post here everyone could read it."""
    note = create.get("object")
    if not isinstance(note, dict) or note.get("type") not in NOTE_TYPES:
        return None
    if not isinstance(note.get("id"), str) or attributed_to(note) != create["actor"]:
        return None
    return None if note.get("inReplyTo") or not is_public(note) else note


def attributed_to(note: dict[str, Any]) -> str | None:
    """The Note's first author (a server crediting several puts its owner first)."""
    value = note.get("attributedTo")
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def addressed_here(note: dict[str, Any], urls: LocalUrls) -> bool:
    """Whether the Note names a local actor among its audience (a mention, a direct note)."""
    for field in ("to", "cc", "audience"):
        value = note.get(field)
        for target in value if isinstance(value, list) else [value]:
            if isinstance(target, str) and urls.handle_of(target) is not None:
                return True
    return False


def deleted_object_id(delete: dict[str, Any]) -> str | None:
    """What a Delete deletes: an id, or a Tombstone's (or the object's) id."""
    target = delete.get("object")
    if isinstance(target, dict):
        target = target.get("id")
    return target if isinstance(target, str) else None


def note_time(note: dict[str, Any], field: str) -> datetime | None:
    value = note.get(field)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def summary_of(note: dict[str, Any]) -> str | None:
    """The Note's content warning (`summary`), as plain text; None when it has none."""
    return text_of(note.get("summary")) or None


def attachments_of(note: dict[str, Any]) -> tuple[RemoteAttachment, ...]:
    """The Note's media, where its server serves them (web URLs only), with their alt text;
    what is no medium (a link preview, a `Hashtag`) is left out."""
    found = note.get("attachment")
    kept: list[RemoteAttachment] = []
    for attachment in found if isinstance(found, list) else [found]:
        if not isinstance(attachment, dict) or attachment.get("type") not in ATTACHMENT_TYPES:
            continue
        url = _web_url(attachment.get("url"))
        if url is None:
            continue
        media_type = attachment.get("mediaType")
        name = text_of(attachment.get("name"))[:MAX_ALT_TEXT_CHARS] or None
        kept.append(
            RemoteAttachment(
                kind=attachment["type"],
                url=url,
                media_type=media_type if isinstance(media_type, str) else None,
                name=name,
            )
        )
    return tuple(kept[:MAX_ATTACHMENTS])


def _web_url(value: Any) -> str | None:
    """A URL, or the first of a list of them, or a Link's `href`, when it is a web URL."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("href")
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def note_url(note: dict[str, Any]) -> str:
    """Where people read the Note (its `url`, else its id)."""
    return _web_url(note.get("url")) or note["id"]
