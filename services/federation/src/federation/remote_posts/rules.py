"""What a remote Note is here, free of I/O: whose it is, whom it is for, and its content as
plain text (HTML reduced to what it shows: markup and scripts dropped, entities decoded, line
breaks kept)."""

from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from federation.core.urls import LocalUrls

NOTE_TYPES = frozenset({"Note", "Article", "Page"})
# Elements whose content is not text a reader sees.
_HIDDEN = frozenset({"script", "style", "template", "head", "title"})
_BLOCKS = frozenset({"p", "div", "blockquote", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6"})


def created_note(create: dict[str, Any]) -> dict[str, Any] | None:
    """The Note a Create carries, when it is one of its actor's, with an id, and not a reply
    (replies are their posts' threads' business)."""
    note = create.get("object")
    if not isinstance(note, dict) or note.get("type") not in NOTE_TYPES:
        return None
    if not isinstance(note.get("id"), str) or attributed_to(note) != create["actor"]:
        return None
    return None if note.get("inReplyTo") else note


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


def plain_text(html: Any) -> str:
    """The text an HTML fragment shows: no markup survives, whatever it held."""
    if not isinstance(html, str):
        return ""
    reader = _TextReader()
    reader.feed(html)
    reader.close()
    lines = "".join(reader.parts).split("\n")
    return "\n".join(line.strip() for line in lines).strip()


class _TextReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS and self.parts:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)
