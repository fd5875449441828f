"""A local post as the fediverse reads it, and how the posts service's events change it.

The post is kept as the events describe it (`LocalPost`), each fact with the time or version
that makes the newest word win, so a late or repeated event changes nothing. One function,
`note_of`, turns it into the Note the Create, the Update and `GET /posts/{id}` all carry:
credited to the author first, then each accepted co-author (servers that read only the first
`attributedTo` still credit the author), with a link per co-author to their consent stamp."""

import html
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls
from federation.quotes.vocabulary import QUOTE_CONTEXT
from shared.clock import at_storage_precision
from shared.events.media import MediaAltTextChanged
from shared.events.posts import (
    Credit,
    KnownPostStatus,
    PostCoauthorAdded,
    PostCoauthorRemoved,
    PostEdited,
    PostHandedOver,
    PostPublished,
    RemixEvent,
    RemixStatus,
)
from shared.public_media import AttachedMedia, media_path

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Terms of our own: the Note's links to its co-authors' consent stamps (named after FEP-044f's
# `quoteAuthorization`, which a quote post carries to its stamp) and the stamps' type.
COPOST_NS = "https://w3id.org/copost/ns#"
NOTE_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {
        "copost": COPOST_NS,
        "coauthorAuthorization": {
            "@id": "copost:coauthorAuthorization",
            "@type": "@id",
            "@container": "@set",
        },
        **QUOTE_CONTEXT,
    },
]


@dataclass(frozen=True, slots=True)
class NoteMedium:
    """A medium of a post as its Note shows it: where it is served publicly, its alt text."""

    media_id: str
    kind: str
    variants: tuple[str, ...]
    alt_text: str | None = None
    width: int | None = None
    height: int | None = None
    # One more at every edit of the alt text: of two copies, the higher is the newer.
    alt_text_version: int = 1

    @classmethod
    def of(cls, medium: AttachedMedia) -> "NoteMedium":
        return cls(
            medium.id,
            medium.kind,
            tuple(medium.variants),
            medium.alt_text,
            medium.width,
            medium.height,
            medium.alt_text_version,
        )


@dataclass(frozen=True, slots=True)
class LocalPost:
    """`unknown`: an event about the post came before its post.published. `version`: of the
    content (1 at publication, one more per applied edit; 0 while unknown)."""

    post_id: str
    status: KnownPostStatus = "unknown"
    author_id: str = ""
    text: str = ""
    version: int = 0
    published_at: datetime | None = None
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    credits: tuple[Credit, ...] = ()
    # A remix: its original, and where it stands with it (since when, once it moved after
    # publication): its Note shows the quote's authorization while approved.
    remix_of_post_id: str | None = None
    remix_status: RemixStatus | None = None
    remix_status_at: datetime | None = None
    media: tuple[NoteMedium, ...] = ()
    # When a medium's alt text last changed after publication (not an edit of the post).
    described_at: datetime | None = None
    # Handed over: when last, and who published it (the account its Create went out as).
    handed_over_at: datetime | None = None
    published_by_id: str = ""

    def credit_of(self, coauthor_id: str) -> Credit | None:
        return next((c for c in self.credits if c.coauthor_id == coauthor_id), None)

    @property
    def coauthor_ids(self) -> list[str]:
        """The accepted co-authors, in the order they were first credited."""
        return [credit.coauthor_id for credit in self.credits if credit.credited]

    @property
    def publisher_id(self) -> str:
        """The account whose Create the Note was: receivers (Mastodon among them) take its
        Updates and Deletes only from that account, even once the post was handed over."""
        return self.published_by_id or self.author_id

    @property
    def everyone_credited(self) -> list[str]:
        """The author and whoever was ever credited: whose followers saw the post."""
        return [self.author_id, *(credit.coauthor_id for credit in self.credits)]

    @property
    def public(self) -> bool:
        return self.status == "published"

    @property
    def updated_at(self) -> datetime | None:
        """When what the Note shows last changed after publication: an edit, or a co-author
        joining, leaving or removed. Mastodon applies an Update only when this moved on."""
        published = self.published_at
        changes = [c.as_of for c in self.credits if published is None or c.as_of > published]
        changes += [
            at for at in (self.edited_at, self.described_at, self.remix_status_at) if at is not None
        ]
        return max(changes, default=None)


@dataclass(frozen=True, slots=True)
class RemoteCoauthor:
    """A co-author on another server (the coauthoring slice): their actor, the consent stamp
    their server serves for this post, and where their server takes activities."""

    actor_id: str
    stamp_url: str
    inbox: str


NO_REMOTE_COAUTHORS: Mapping[str, RemoteCoauthor] = {}


# -- how each event changes the post -----------------------------------------------------


def publish(post: LocalPost, event: PostPublished) -> LocalPost:
    if post.status != "unknown":
        return post
    published = replace(
        post,
        status="published",
        author_id=event.author_id,
        published_at=at_storage_precision(event.published_at),
        # An edit that came first is newer than the text published.
        text=post.text if post.version > 1 else event.text,
        media=post.media if post.version > 1 else tuple(map(NoteMedium.of, event.media)),
        version=max(post.version, 1),
        remix_of_post_id=event.remix_of_post_id,
        # A remix event that came first is further on than the status published.
        remix_status=post.remix_status or event.remix_status,
    )
    for coauthor_id in event.coauthor_ids:
        label = event.coauthor_credits.get(coauthor_id)
        published = credit(published, coauthor_id, True, event.published_at, label)
    return published


def coauthor_added(post: LocalPost, event: PostCoauthorAdded) -> LocalPost:
    return credit(post, event.coauthor_id, True, event.added_at, event.credit)


def coauthor_removed(post: LocalPost, event: PostCoauthorRemoved) -> LocalPost:
    if not event.was_credited:
        return post
    return credit(post, event.coauthor_id, False, event.removed_at)


def edit(post: LocalPost, event: PostEdited) -> LocalPost:
    if post.status == "deleted" or event.version <= post.version:
        return post
    edited_at = at_storage_precision(event.edited_at)
    return replace(
        post,
        text=event.text,
        media=tuple(map(NoteMedium.of, event.media)),
        version=event.version,
        edited_at=edited_at,
    )


def handed_over(post: LocalPost, event: PostHandedOver) -> LocalPost:
    """The co-author it went to is the author now; the former author stays credited first
    (asked for and accepted) or is no longer (their account went). A repeated or older
    hand-over, or one from someone no longer the author, changes nothing."""
    at = at_storage_precision(event.handed_over_at)
    if (
        post.status != "published"
        or post.author_id != event.from_author_id
        or (post.handed_over_at is not None and at <= post.handed_over_at)
    ):
        return post
    former = Credit(event.from_author_id, event.reason == "accepted", at, None)
    others = tuple(
        c for c in post.credits if c.coauthor_id not in (event.to_author_id, event.from_author_id)
    )
    return replace(
        post,
        author_id=event.to_author_id,
        credits=(former, *others),
        handed_over_at=at,
        published_by_id=post.publisher_id,
    )


def alt_text_changed(post: LocalPost, event: MediaAltTextChanged) -> LocalPost:
    """A medium's newer alt text (its `alt_text_version`), while the medium is on the post."""
    if post.status == "deleted":
        return post
    newer = NoteMedium.of(event.medium)
    if not any(
        m.media_id == newer.media_id and m.alt_text_version < newer.alt_text_version
        for m in post.media
    ):
        return post
    media = tuple(newer if m.media_id == newer.media_id else m for m in post.media)
    return replace(post, media=media, described_at=at_storage_precision(event.changed_at))


# Remix statuses only move forward: a later step never gives way to an earlier one.
_REMIX_STEP: dict[RemixStatus, int] = {
    "pending": 0,
    "approved": 1,
    "rejected": 2,
    "revoked": 2,
    "removed": 2,
}


def remix_moved(post: LocalPost, event: RemixEvent) -> LocalPost:
    """The remix's status, when further on than the one known (repeated or late: unchanged)."""
    known = post.remix_status
    if post.status == "deleted" or (known and _REMIX_STEP[event.status] <= _REMIX_STEP[known]):
        return post
    return replace(
        post,
        remix_of_post_id=event.original_id,
        remix_status=event.status,
        remix_status_at=at_storage_precision(event.at),
    )


def delete(post: LocalPost, deleted_at: datetime) -> LocalPost:
    if post.status == "deleted":
        return post
    return replace(post, status="deleted", deleted_at=at_storage_precision(deleted_at))


def credit(
    post: LocalPost, coauthor_id: str, credited: bool, as_of: datetime, label: str | None = None
) -> LocalPost:
    """Keep the newest word on a co-author (`Credit.is_newer_than`); a co-author keeps their
    place in the order once credited."""
    if post.status == "deleted" or coauthor_id == post.author_id:
        return post
    as_of = at_storage_precision(as_of)
    new = Credit(coauthor_id, credited, as_of, label if credited else None)
    known = post.credit_of(coauthor_id)
    if known is None:
        return replace(post, credits=(*post.credits, new))
    if not new.is_newer_than(known):
        return post
    return replace(post, credits=tuple(new if c is known else c for c in post.credits))


type Outgoing = Literal["Create", "Update", "Delete"]


def outgoing(before: LocalPost, after: LocalPost) -> Outgoing | None:
    """What remote servers are sent for a change: the Create once it is published, a Delete
    once a published post is deleted, an Update when what its Note shows changed."""
    if not before.public:
        return "Create" if after.public else None
    if not after.public:
        return "Delete"
    return "Update" if _shown(before) != _shown(after) else None


def _shown(post: LocalPost) -> tuple[object, ...]:
    credited = tuple((c.coauthor_id, c.label) for c in post.credits if c.credited)
    return (post.author_id, post.text, post.media, post.version, credited, post.remix_status)


# -- what the fediverse reads ------------------------------------------------------------


def note_of(
    post: LocalPost,
    handles: dict[str, str],
    urls: LocalUrls,
    remote: Mapping[str, RemoteCoauthor] = NO_REMOTE_COAUTHORS,
    quoting: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Note of a published post. `handles`: by user id, of the author and local
    co-authors; `remote`: the co-authors on other servers (a co-author whose account is gone
    is not credited); `quoting`: what it says of quotes (`federation.quotes`)."""
    note_id = urls.post(post.post_id)
    author = handles[post.author_id]
    attributed, audience, stamps = [urls.actor(author)], [urls.followers(author)], []
    for coauthor_id in post.coauthor_ids:
        if (handle := handles.get(coauthor_id)) is not None:
            attributed.append(urls.actor(handle))
            audience.append(urls.followers(handle))
            stamps.append(urls.coauthorization(handle, post.post_id))
        elif (elsewhere := remote.get(coauthor_id)) is not None:
            attributed.append(elsewhere.actor_id)
            audience.append(elsewhere.actor_id)
            stamps.append(elsewhere.stamp_url)
    note: dict[str, Any] = {
        "id": note_id,
        "type": "Note",
        "attributedTo": attributed,
        "content": html_of(post.text),
        "published": timestamp(post.published_at),
        "url": note_id,
        "to": [PUBLIC],
        "cc": audience,
        "coauthorAuthorization": stamps,
        **(quoting or {}),
    }
    if post.media:
        note["attachment"] = [attachment_of(medium, urls) for medium in post.media]
    if post.updated_at is not None:
        note["updated"] = timestamp(post.updated_at)
    return note


def attachment_of(medium: NoteMedium, urls: LocalUrls) -> dict[str, Any]:
    """A medium as Mastodon sends and reads one: a `Document` with its public URL (the largest
    picture, or the video) and its alt text as `name`. Pictures go without `mediaType`: their
    variants are WebP or JPEG, and receivers take the type the file is served with."""
    video = medium.kind == "video"
    variant = (
        "video"
        if video
        else next(
            (name for name in ("large", "original") if name in medium.variants),
            medium.variants[0] if medium.variants else "large",
        )
    )
    attachment: dict[str, Any] = {
        "type": "Document",
        "url": urls.base + media_path(medium.media_id, variant),
    }
    if video:
        attachment["mediaType"] = "video/mp4"
    if medium.alt_text:
        attachment["name"] = medium.alt_text
    if medium.width and medium.height:
        attachment |= {"width": medium.width, "height": medium.height}
    return attachment


def activity_of(
    kind: Outgoing,
    post: LocalPost,
    handles: dict[str, str],
    urls: LocalUrls,
    remote: Mapping[str, RemoteCoauthor] = NO_REMOTE_COAUTHORS,
    quoting: dict[str, Any] | None = None,
    sender_id: str | None = None,
) -> dict[str, Any]:
    """The activity telling remote servers of a change, as the post's author (or
    `sender_id`: for an Update or a Delete, the account that published it)."""
    author = handles[sender_id or post.author_id]
    if kind == "Delete":
        return delete_of(post, author, urls)
    note = note_of(post, handles, urls, remote, quoting)
    if kind == "Create":
        return create_of(note, author, urls)
    return update_of(note, post, author, urls)


def document_of(note: dict[str, Any]) -> dict[str, Any]:
    """The Note served on its own (inside an activity, the activity carries the context)."""
    return {"@context": NOTE_CONTEXT, **note}


def create_of(note: dict[str, Any], author_handle: str, urls: LocalUrls) -> dict[str, Any]:
    return _activity("Create", f"{note['id']}/activity", note, author_handle, urls)


def update_of(
    note: dict[str, Any], post: LocalPost, author_handle: str, urls: LocalUrls
) -> dict[str, Any]:
    """Named by when the Note changed, so a repeat of the same change is the same activity."""
    changed_at = post.updated_at or post.published_at
    millis = int(changed_at.timestamp() * 1000) if changed_at else 0
    return _activity("Update", f"{note['id']}/updates/{millis}", note, author_handle, urls)


def delete_of(post: LocalPost, author_handle: str, urls: LocalUrls) -> dict[str, Any]:
    note_id = urls.post(post.post_id)
    tombstone = {
        "id": note_id,
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": timestamp(post.deleted_at),
    }
    return {
        "@context": AS_CONTEXT,
        "id": f"{note_id}#delete",
        "type": "Delete",
        "actor": urls.actor(author_handle),
        "to": [PUBLIC],
        "object": tombstone,
    }


def _activity(
    kind: str, activity_id: str, note: dict[str, Any], author_handle: str, urls: LocalUrls
) -> dict[str, Any]:
    return {
        "@context": NOTE_CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": urls.actor(author_handle),
        "published": note.get("updated", note["published"]),
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }


def html_of(text: str) -> str:
    """Post text as the HTML a Note carries: escaped, one paragraph, line breaks kept."""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


def timestamp(moment: datetime | None) -> str:
    if moment is None:
        raise ValueError("a published post has its times")
    return moment.isoformat().replace("+00:00", "Z")
