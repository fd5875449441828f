"""What a remote Note is here, free of I/O: whose it is, whom it is for, and its content as
plain text (HTML reduced to what it shows: markup and scripts dropped, entities decoded, line
breaks kept)."""

from datetime import datetime
from typing import Any

from federation.core.notes import is_public
from federation.core.urls import LocalUrls

NOTE_TYPES = frozenset({"Note", "Article", "Page"})
# Elements whose content is not text a reader sees.


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


def note_url(note: dict[str, Any]) -> str:
    """Where people read the Note (its `url`, else its id)."""
    url = note.get("url")
    if isinstance(url, list):
        url = url[0] if url else None
    if isinstance(url, dict):
        url = url.get("href")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else note["id"]
