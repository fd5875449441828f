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

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from federation.core.notes import is_public, text_of
from federation.core.urls import LocalUrls


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
    text = text_of(content)
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
