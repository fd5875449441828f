"""The post itself, pure: the aggregate every capability changes, the rules of its text and
of who may see it, and the transitions every capability ends with (publishing, deleting).

Every transition takes the current post and returns a `Change`: the new post and the
events it causes, which are written together in one conditional update.
"""

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from shared.events import EventData
from shared.events.federation import RemoteAttachment
from shared.events.posts import EditStatus, PostDeleted, PostPublished, PublishMode, RemixStatus
from shared.events.users import KeepCoauthoredPosts
from shared.problems import Forbidden, NotFound, Unprocessable
from shared.public_media import AttachedMedia
from shared.public_post import CoauthorStatus
from shared.remote_accounts import split_remote_handle
from shared.visible_text import enforce_visible_label, shows_something

type PostStatus = Literal["pending", "published", "deleted"]

HANDLE_PATTERN = re.compile(r"^[a-z0-9_]{3,30}\Z")
# What a co-author is credited for ("photo", "music"): a short visible label.
CREDIT_MAX_LENGTH = 30
# Control characters other than tab, line feed and carriage return: NUL, escapes, bells, C1.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Invisible format characters stripped from post text: bidirectional embeddings, overrides,
# isolates and marks (which reorder what follows, e.g. to disguise a link), zero-width
# space, word joiner, byte-order mark, soft hyphen. The zero-width (non-)joiners stay:
# emoji sequences and several scripts need them.
INVISIBLE_FORMAT_CHARACTERS = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


class InvalidPost(Unprocessable):
    """The request to create a post or invite to it breaks a rule about its content."""


class PostNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such post.")


class NotPostAuthor(Forbidden):
    def __init__(self, detail: str = "Only the post's author may do this.") -> None:
        super().__init__(detail)


class FeatureUnavailable(Forbidden):
    slug = "feature-unavailable"

    def __init__(self, feature: str) -> None:
        super().__init__(f"The {feature} feature is not available to this account yet.")


@dataclass(frozen=True, slots=True)
class Coauthor:
    user_id: str
    invitation_id: str
    status: CoauthorStatus
    invited_at: datetime
    accepted_at: datetime | None = None
    credit: str | None = None


@dataclass(frozen=True, slots=True)
class RemixLink:
    """What a remix says of its original (the rules are in `posts.remixing.rules`)."""

    original_id: str
    original_author_id: str
    status: RemixStatus
    requested_at: datetime
    # Only remixes waiting for a manual approval have a request.
    request_id: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None


type ApprovalState = Literal["pending", "approved", "rejected"]


@dataclass(frozen=True, slots=True)
class Approval:
    user_id: str
    state: ApprovalState = "pending"


@dataclass(frozen=True, slots=True)
class EditProposal:
    """The post's latest proposed edit (the rules are in `posts.editing.rules`)."""

    id: str
    proposer_id: str
    text: str
    # The content version it was proposed against: it applies to that version only.
    base_version: int
    status: EditStatus
    approvals: tuple[Approval, ...]
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    # The media the post would carry, in order (None: the post's own, as they are), and the
    # alt texts it would give them (media id, new alt text; None removes it).
    media: tuple[AttachedMedia, ...] | None = None
    alt_texts: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Revision:
    """An earlier version of the post's content, kept for its public history."""

    version: int
    text: str
    media: tuple[AttachedMedia, ...]
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class RemoteOrigin:
    """Where a remote account's post came from (its Note, and where people read it) and what
    the Note's last version taken shows besides its text: its content warning and its media,
    where its own server serves them."""

    note_id: str
    url: str
    summary: str | None = None
    attachments: tuple[RemoteAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class HandoverRequest:
    """The author's request that an accepted co-author take the post over (the rules are in
    `posts.succession.rules`)."""

    id: str
    to_user_id: str
    status: Literal["pending", "accepted", "declined", "cancelled"]
    created_at: datetime
    answered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    author_id: str
    text: str
    publish_mode: PublishMode
    status: PostStatus
    created_at: datetime
    published_at: datetime | None = None
    deleted_at: datetime | None = None
    coauthors: tuple[Coauthor, ...] = ()
    # Everyone who was once invited to or credited on the post and no longer is: leaving
    # again is then a no-op, while someone never on the post is told there is nothing to leave.
    former_coauthor_ids: tuple[str, ...] = ()
    version: int = 0
    remix_of: RemixLink | None = None
    # A reply: the post it answers. Replies are published at once, have no
    # co-authors and reach no timeline: they live in their post's thread.
    reply_to: str | None = None
    # The pictures (or video) it carries, in the order shown; owned by the media service.
    media: tuple[AttachedMedia, ...] = ()
    # The content's version (1 at creation, one more per applied edit), unlike `version`,
    # which counts every write of the document.
    content_version: int = 1
    edited_at: datetime | None = None
    revisions: tuple[Revision, ...] = ()
    edit: EditProposal | None = None
    # What happens to the post when its author's account is deleted, if the author chose for
    # this post (otherwise the account's setting decides), and an open hand-over request.
    keep_on_author_deletion: KeepCoauthoredPosts | None = None
    handover: HandoverRequest | None = None
    # A remote account's post: its Note's, as the federation service reported it.
    remote: RemoteOrigin | None = None

    def coauthor(self, user_id: str) -> Coauthor | None:
        return next((c for c in self.coauthors if c.user_id == user_id), None)

    def coauthor_by_invitation(self, invitation_id: str) -> Coauthor | None:
        return next((c for c in self.coauthors if c.invitation_id == invitation_id), None)

    @property
    def accepted_ids(self) -> tuple[str, ...]:
        return tuple(c.user_id for c in self.coauthors if c.status == "accepted")

    @property
    def is_deleted(self) -> bool:
        return self.status == "deleted"


@dataclass(frozen=True, slots=True)
class Counts:
    """A post's shared counters and their version (one more at every change)."""

    like_count: int = 0
    reply_count: int = 0
    version: int = 0

    def after(self, *, likes: int = 0, replies: int = 0) -> "Counts":
        return Counts(
            max(0, self.like_count + likes), max(0, self.reply_count + replies), self.version + 1
        )


@dataclass(frozen=True, slots=True)
class Change:
    """A transition's outcome: the post as it should now be and the events that says so."""

    post: Post
    events: tuple[EventData, ...] = field(default=())

    def then(self, other: "Change") -> "Change":
        return Change(other.post, self.events + other.events)


type Transition = Callable[[Post | None], Change | None]


def unchanged(post: Post) -> Change:
    return Change(post)


def normalize_text(text: str) -> str:
    """NFC, without invisible format characters, trimmed: what is stored is what is seen."""
    return INVISIBLE_FORMAT_CHARACTERS.sub("", unicodedata.normalize("NFC", text)).strip()


def text_errors(text: str, max_length: int, *, with_media: bool = False) -> list[dict[str, Any]]:
    """A post with media may have no text; with some, it must show something."""
    if not text:
        if with_media:
            return []
        return [error(("body", "text"), "Text must not be empty.", "empty")]
    if len(text) > max_length:
        return [error(("body", "text"), f"Text is longer than {max_length}.", "too_long")]
    if CONTROL_CHARACTERS.search(text):
        msg = "Text must not contain control characters (other than tab and line breaks)."
        return [error(("body", "text"), msg, "control_character")]
    if not shows_something(text):
        msg = "Text must show something: it is only blanks or fillers."
        return [error(("body", "text"), msg, "invisible")]
    return []


def handle_errors(handles: Sequence[str], max_coauthors: int) -> list[dict[str, Any]]:
    if len(handles) > max_coauthors:
        return [error(("body", "coauthors"), f"At most {max_coauthors} co-authors.", "too_many")]
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(handles):
        handle = raw.strip().lower()
        where = ("body", "coauthors", str(index))
        # A remote account (`user@host`) may be invited too: its server asks it for consent.
        if not (HANDLE_PATTERN.match(handle) or split_remote_handle(handle)):
            errors.append(error(where, f"{raw!r} is not a handle.", "invalid_handle"))
        elif handle in seen:
            errors.append(error(where, f"{handle} is listed twice.", "duplicate"))
        seen.add(handle)
    return errors


def normalize_credit(
    raw: str | None, where: Sequence[str]
) -> tuple[str | None, list[dict[str, Any]]]:
    """A credit as shown (shared.visible_text's rules, at most CREDIT_MAX_LENGTH), or the
    error at `where` for a label nobody could read (blank, fillers, controls, too long)."""
    if raw is None:
        return None, []
    try:
        return enforce_visible_label(raw, what="a credit", max_length=CREDIT_MAX_LENGTH), []
    except ValueError as exc:
        return None, [error(where, str(exc), "invalid_credit")]


def error(loc: Sequence[str], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}


def can_view(post: Post, user_id: str) -> bool:
    if post.is_deleted:
        return False
    if post.status == "published":
        return True
    return user_id == post.author_id or post.coauthor(user_id) is not None


def require_visible(post: Post | None, user_id: str) -> Post:
    """Whoever may not see a post learns nothing about it: 404 as if it did not exist."""
    if post is None or not can_view(post, user_id):
        raise PostNotFound()
    return post


def require_author(post: Post | None, user_id: str) -> Post:
    visible = require_visible(post, user_id)
    if visible.author_id != user_id:
        raise NotPostAuthor()
    return visible


def publish(post: Post, now: datetime) -> Change:
    published = replace(post, status="published", published_at=now)
    return Change(published, (published_event(published),))


def published_event(post: Post) -> PostPublished:
    assert post.published_at is not None
    return PostPublished(
        post_id=post.id,
        author_id=post.author_id,
        text=post.text,
        coauthor_ids=post.accepted_ids,
        coauthor_credits={
            c.user_id: c.credit for c in post.coauthors if c.status == "accepted" and c.credit
        },
        created_at=post.created_at,
        published_at=post.published_at,
        publish_mode=post.publish_mode,
        remix_of_post_id=post.remix_of.original_id if post.remix_of else None,
        remix_status=post.remix_of.status if post.remix_of else None,
        media=post.media,
    )


def delete(post: Post, now: datetime) -> Change:
    deleted = replace(post, status="deleted", deleted_at=now)
    event = PostDeleted(
        post_id=post.id, author_id=post.author_id, coauthor_ids=post.accepted_ids, deleted_at=now
    )
    return Change(deleted, (event,))


def settle(change: Change, now: datetime) -> Change:
    """A when_accepted post is published once no invitation is left unanswered."""
    post = change.post
    waiting = any(c.status == "invited" for c in post.coauthors)
    if post.status != "pending" or waiting:
        return change
    return change.then(publish(post, now))
