"""Which co-authors a remote Note claims and whether a consent stamp backs a claim, free of
I/O. A stamp counts only as CoPost's own publishing serves one (docs/federation.md, "consent
stamps"): the link the Note gave, on the co-author's own server, attributed to the co-author
and naming this Note."""

from typing import Any
from urllib.parse import urlsplit

from federation.core.urls import LocalUrls

# A bound on the fetches one Note may cause (each co-author: a stamp, then their actor).
MAX_REMOTE_COAUTHORS = 10


def claimed_coauthors(note: dict[str, Any], urls: LocalUrls) -> list[str]:
    """The actors the Note credits after its author, once each, in its order; local accounts
    are left out (their credit is this instance's own to know)."""
    value = note.get("attributedTo")
    named = [_id_of(item) for item in value] if isinstance(value, list) else []
    author, others = (named[0], named[1:]) if named else (None, [])
    claimed: list[str] = []
    for actor in others:
        if actor and actor != author and actor not in claimed and urls.handle_of(actor) is None:
            claimed.append(actor)
    return claimed[:MAX_REMOTE_COAUTHORS]


def stamp_links(note: dict[str, Any], coauthor: str) -> list[str]:
    """The Note's links to consent stamps that are on the co-author's own server."""
    value = note.get("coauthorAuthorization")
    links = value if isinstance(value, list) else [value]
    return [
        link
        for link in links[:MAX_REMOTE_COAUTHORS]
        if isinstance(link, str) and same_server(link, coauthor)
    ]


def stamp_backs(stamp: dict[str, Any], link: str, coauthor: str, note_id: str) -> bool:
    """Whether the stamp fetched at `link` is `coauthor`'s consent to be credited on the Note."""
    return (
        stamp.get("id") == link
        and _id_of(stamp.get("attributedTo")) == coauthor
        and _id_of(stamp.get("interactingObject")) == note_id
    )


def same_server(url: str, other: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(other).netloc.lower()


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None
