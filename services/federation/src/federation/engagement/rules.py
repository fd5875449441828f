"""What a remote Like, Announce, reply (Create of a Note) or their Undo and Delete mean for a
local post, as pure decisions: anything not about a local post is nothing (None), never an
error, since servers send activities to every inbox that might care.

A reply becomes a local reply by its remote author: its HTML reduced to text (no markup goes
through, scripts and styles dropped, leading mentions left out: they address people, they do
not say anything), bounded here for the event's size and by the posts service as a local reply
is. Only a public reply is one: a Note addressed to a few is a private message, not a reply
for everyone to read. Its id here derives from its Note's, so a repeated Create makes one
reply and a Delete finds it.
"""

import re
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from federation.core.urls import LocalUrls
from federation.publishing.rules import PUBLIC

# Beyond what any local reply may hold (the posts service cuts to its own limit): a bound on the
# event, not the rule for the text.
MAX_REMOTE_TEXT_CHARS = 5_000
# How the public collection may be named in `to`/`cc` (JSON-LD compacted forms too).
PUBLIC_NAMES = frozenset({PUBLIC, "as:Public", "Public"})
# Elements whose text is not shown (their content is code or metadata, not what was said).
_HIDDEN_ELEMENTS = frozenset({"script", "style", "template", "head", "title"})
_BREAKING_ELEMENTS = frozenset({"br", "p", "div", "li", "blockquote", "h1", "h2", "h3", "pre"})
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LEADING_MENTIONS = re.compile(r"^(?:\s*@[^\s@]+(?:@[^\s@]+)?)+\s*")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class Liked:
    activity_id: str
    post_id: str


@dataclass(frozen=True, slots=True)
class Announced:
    activity_id: str
    post_id: str


@dataclass(frozen=True, slots=True)
class Replied:
    activity_id: str
    note_id: str
    reply_id: str
    post_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Undone:
    """An Undo of an activity by its id; `kind` and `post_id` when the Undo embeds it (a bare
    id is resolved from what was received)."""

    activity_id: str
    kind: str | None
    post_id: str | None


@dataclass(frozen=True, slots=True)
class NoteDeleted:
    note_id: str


type Engagement = Liked | Announced | Replied | Undone | NoteDeleted


def engagement_of(activity: dict[str, Any], urls: LocalUrls) -> Engagement | None:
    """What `activity` (verified: its actor signed it) does to a local post, or None."""
    actor, activity_id = activity["actor"], activity.get("id")
    match activity["type"]:
        # A like or share with no id could never be undone nor told from its repetition.
        case "Like":
            post_id = local_post_id(activity.get("object"), urls)
            return Liked(activity_id, post_id) if post_id and activity_id else None
        case "Announce":
            post_id = local_post_id(activity.get("object"), urls)
            return Announced(activity_id, post_id) if post_id and activity_id else None
        case "Create":
            return _reply_of(activity, urls)
        case "Undo":
            return _undone_of(activity.get("object"), urls)
        case "Delete":
            note_id = id_of(activity.get("object"))
            if note_id is None or note_id == actor or not same_origin(note_id, actor):
                return None
            return NoteDeleted(note_id)
    return None


def id_of(value: object) -> str | None:
    """An object's id, whether the activity names it or embeds it."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def local_post_id(value: object, urls: LocalUrls) -> str | None:
    url = id_of(value)
    return urls.post_id_of(url) if url else None


def same_origin(url: str, actor: str) -> bool:
    """Whether `url` lives on the actor's own server: no one speaks for another's objects."""
    a, b = urlsplit(url), urlsplit(actor)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


def reply_id_of(note_id: str) -> str:
    """The local id of a remote reply: derived from its Note's id, shaped as a local id (32 hex
    digits) and never one (a UUID of version 5; local ids are random, version 4)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, note_id).hex


def _reply_of(create: dict[str, Any], urls: LocalUrls) -> Replied | None:
    note, actor = create.get("object"), create["actor"]
    if not isinstance(note, dict) or note.get("type") != "Note":
        return None
    post_id = local_post_id(note.get("inReplyTo"), urls)
    note_id = id_of(note)
    if post_id is None or note_id is None or not same_origin(note_id, actor):
        return None
    if note.get("attributedTo", actor) != actor or not is_public(note):
        return None
    content = note.get("content")
    text = text_of(content) if isinstance(content, str) else ""
    if not text:
        return None
    # A Create with no id (GoToSocial's Deletes have none; a Create may not either) is
    # known by its Note, which is unique too.
    return Replied(create.get("id") or note_id, note_id, reply_id_of(note_id), post_id, text)


def _undone_of(undone: object, urls: LocalUrls) -> Undone | None:
    activity_id = id_of(undone)
    if activity_id is None:
        return None
    if not isinstance(undone, dict):
        return Undone(activity_id, None, None)
    kind = undone.get("type")
    if kind not in ("Like", "Announce"):
        return None
    return Undone(activity_id, kind, local_post_id(undone.get("object"), urls))


def is_public(note: dict[str, Any]) -> bool:
    audience: list[object] = []
    for field in ("to", "cc"):
        named = note.get(field)
        audience += named if isinstance(named, list) else [named]
    return any(isinstance(name, str) and name in PUBLIC_NAMES for name in audience)


def text_of(html: str) -> str:
    """The text a Note's HTML content shows: tags gone, entities decoded, paragraphs and line
    breaks kept as line breaks, leading mentions and control characters left out, bounded."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = _CONTROL_CHARACTERS.sub("", "".join(parser.parts))
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    return _LEADING_MENTIONS.sub("", text)[:MAX_REMOTE_TEXT_CHARS].strip()


class _TextOfHtml(HTMLParser):
    """Collects the text of an HTML fragment; nothing of its markup survives."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_ELEMENTS:
            self._hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BREAKING_ELEMENTS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_ELEMENTS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BREAKING_ELEMENTS and tag != "br":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            # Source line breaks are not the text's: HTML shows them as spaces.
            self.parts.append(re.sub(r"\s+", " ", data))
