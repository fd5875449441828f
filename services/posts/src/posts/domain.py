"""The co-authoring rules of a post: pure decisions and state transitions, no I/O.

Every transition takes the current post and returns a `Change`: the new post and the
events it causes, which the repository writes together in one conditional update.
"""

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from shared.events import EventData
from shared.events.posts import (
    CoauthorRemovalReason,
    InvitedCoauthor,
    PostCoauthorAdded,
    PostCoauthorInvited,
    PostCoauthorRemoved,
    PostCreated,
    PostDeleted,
    PostPublished,
    PublishMode,
    RemixStatus,
)
from shared.problems import (
    AccountGone,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unprocessable,
)
from shared.public_post import CoauthorStatus

type PostStatus = Literal["pending", "published", "deleted"]

HANDLE_PATTERN = re.compile(r"^[a-z0-9_]{3,30}\Z")
# Control characters other than tab, line feed and carriage return: NUL, escapes, bells, C1.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Invisible format characters stripped from post text: bidirectional embeddings, overrides,
# isolates and marks (which reorder what follows, e.g. to disguise a link), zero-width
# space, word joiner, byte-order mark, soft hyphen. The zero-width (non-)joiners stay:
# emoji sequences and several scripts need them.
INVISIBLE_FORMAT_CHARACTERS = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Eligibility reasons that mean the request itself is wrong, versus the invitee refusing it.
INVALID_INVITEE_REASONS = frozenset({"unknown_user", "self"})
INVITE_WINDOW = timedelta(hours=1)


# -- problems the rules raise --------------------------------------------------------------


class InvalidPost(Unprocessable):
    """The request to create a post or invite to it breaks a rule about its content."""


class InviteeNotAllowed(Forbidden):
    def __init__(self, handles: Sequence[str]) -> None:
        super().__init__(
            "These accounts cannot be invited: " + ", ".join(handles),
            errors=[
                {"loc": ["body", "coauthors"], "msg": h, "type": "not_allowed"} for h in handles
            ],
        )


class PostNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such post.")


class NotPostAuthor(Forbidden):
    def __init__(self, detail: str = "Only the post's author may do this.") -> None:
        super().__init__(detail)


class CoauthorNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("That account is not a co-author of this post.")


class InviteRateLimited(TooManyRequests):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("Too many invitations this hour.", retry_after_seconds=retry_after_seconds)


class FeatureUnavailable(Forbidden):
    slug = "feature-unavailable"

    def __init__(self, feature: str) -> None:
        super().__init__(f"The {feature} feature is not available to this account yet.")


class RemixNotAllowed(Forbidden):
    def __init__(self, reason: str) -> None:
        super().__init__(f"The original's authors do not allow this remix ({reason}).")


class RemixRequestNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such remix request.")


class RemixNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("That post is not a remix of this post.")


class NotAnOriginalAuthor(Forbidden):
    def __init__(self) -> None:
        super().__init__("Only the original's author or co-authors may revoke a remix.")


class RemixAnswerConflict(Conflict):
    def __init__(self, status: RemixStatus) -> None:
        super().__init__(f"This remix is already {status}.")


class ReplyBlocked(Forbidden):
    def __init__(self) -> None:
        super().__init__("An author of this post blocks you: you cannot reply to it.")


# -- the post aggregate --------------------------------------------------------------------


@dataclass(frozen=True)
class Coauthor:
    user_id: str
    invitation_id: str
    status: CoauthorStatus
    invited_at: datetime
    accepted_at: datetime | None = None


@dataclass(frozen=True)
class RemixLink:
    """What a remix says of its original (the rules are in `posts.remixing`)."""

    original_id: str
    original_author_id: str
    status: RemixStatus
    requested_at: datetime
    # Only remixes waiting for a manual approval have a request.
    request_id: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True)
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
    # A reply (issue 12): the post it answers. Replies are published at once, have no
    # co-authors and reach no timeline: they live in their post's thread.
    reply_to: str | None = None

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


@dataclass(frozen=True)
class Change:
    """A transition's outcome: the post as it should now be and the events that says so."""

    post: Post
    events: tuple[EventData, ...] = field(default=())

    def then(self, other: "Change") -> "Change":
        return Change(other.post, self.events + other.events)


type Transition = Callable[[Post | None], Change | None]


def unchanged(post: Post) -> Change:
    return Change(post)


# -- validating requests -------------------------------------------------------------------


@dataclass(frozen=True)
class NewPostRequest:
    text: str
    handles: tuple[str, ...]


def validate_new_post(
    text: str, handles: Sequence[str], *, max_coauthors: int, max_text_length: int
) -> NewPostRequest:
    """The text normalised and the handles lower-cased, or a 422 listing every broken rule."""
    clean_text = normalize_text(text)
    errors = _text_errors(clean_text, max_text_length)
    errors += _handle_errors(handles, max_coauthors)
    if errors:
        raise InvalidPost("The post is not valid.", errors=errors)
    return NewPostRequest(clean_text, tuple(h.strip().lower() for h in handles))


def normalize_text(text: str) -> str:
    """NFC, without invisible format characters, trimmed: what is stored is what is seen."""
    return INVISIBLE_FORMAT_CHARACTERS.sub("", unicodedata.normalize("NFC", text)).strip()


def validate_invitee_handle(handle: str) -> str:
    errors = _handle_errors([handle], max_coauthors=1)
    if errors:
        raise InvalidPost(
            "The handle is not valid.",
            errors=[{**e, "loc": ["body", "handle"]} for e in errors],
        )
    return handle.strip().lower()


def _text_errors(text: str, max_length: int) -> list[dict[str, Any]]:
    if not text:
        return [_error(("body", "text"), "Text must not be empty.", "empty")]
    if len(text) > max_length:
        return [_error(("body", "text"), f"Text is longer than {max_length}.", "too_long")]
    if CONTROL_CHARACTERS.search(text):
        msg = "Text must not contain control characters (other than tab and line breaks)."
        return [_error(("body", "text"), msg, "control_character")]
    return []


def _handle_errors(handles: Sequence[str], max_coauthors: int) -> list[dict[str, Any]]:
    if len(handles) > max_coauthors:
        return [_error(("body", "coauthors"), f"At most {max_coauthors} co-authors.", "too_many")]
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(handles):
        handle = raw.strip().lower()
        where = ("body", "coauthors", str(index))
        if not HANDLE_PATTERN.match(handle):
            errors.append(_error(where, f"{raw!r} is not a handle.", "invalid_handle"))
        elif handle in seen:
            errors.append(_error(where, f"{handle} is listed twice.", "duplicate"))
        seen.add(handle)
    return errors


def _error(loc: Sequence[str], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}


@dataclass(frozen=True)
class Eligibility:
    """The users service's answer for one invitee."""

    handle: str | None
    user_id: str | None
    eligible: bool
    reason: str | None


def check_invitees(answers: Sequence[Eligibility]) -> None:
    """Unknown or self is a bad request (422); a block or a policy refusal is forbidden (403).

    An unknown inviter is the caller's own account gone (401), whatever the invitees.
    """
    if any(a.reason == "inviter_unknown" for a in answers):
        raise AccountGone()
    invalid = [a for a in answers if not a.eligible and a.reason in INVALID_INVITEE_REASONS]
    if invalid:
        raise InvalidPost(
            "Some co-authors cannot be invited.",
            errors=[
                _error(
                    ("body", "coauthors"), f"{a.handle or a.user_id}: {a.reason}", a.reason or ""
                )
                for a in invalid
            ],
        )
    refused = [a.handle or a.user_id or "?" for a in answers if not a.eligible]
    if refused:
        raise InviteeNotAllowed(refused)


# -- who may do what -----------------------------------------------------------------------


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


# -- transitions asked for over HTTP -------------------------------------------------------


def create_post(
    *,
    post_id: str,
    author_id: str,
    request: NewPostRequest,
    publish_mode: PublishMode,
    invitees: Sequence[tuple[str, str]],
    now: datetime,
    remix_of: RemixLink | None = None,
) -> Change:
    """`invitees` are (user id, invitation id) pairs, already found eligible; `remix_of`
    the consented link of a remix (its own events are `posts.remixing.creation_events`)."""
    if any(user_id == author_id for user_id, _ in invitees):
        raise InvalidPost("The author cannot invite itself.")
    coauthors = tuple(
        Coauthor(user_id=user_id, invitation_id=invitation_id, status="invited", invited_at=now)
        for user_id, invitation_id in invitees
    )
    post = Post(
        id=post_id,
        author_id=author_id,
        text=request.text,
        publish_mode=publish_mode,
        status="pending" if publish_mode == "when_accepted" else "published",
        created_at=now,
        published_at=now if publish_mode == "now" else None,
        coauthors=coauthors,
        remix_of=remix_of,
    )
    created = PostCreated(
        post_id=post.id,
        author_id=author_id,
        text=post.text,
        publish_mode=publish_mode,
        created_at=now,
        invitations=tuple(
            InvitedCoauthor(invitation_id=c.invitation_id, invitee_id=c.user_id) for c in coauthors
        ),
        remix_of_post_id=remix_of.original_id if remix_of else None,
    )
    events: tuple[EventData, ...] = (created,)
    if post.status == "published":
        events += (_published_event(post),)
    return _settle(Change(post, events), now)


def publish_post(post: Post | None, actor_id: str, now: datetime) -> Change:
    """Publishing early; publishing what is already published changes nothing."""
    current = require_author(post, actor_id)
    if current.status == "published":
        return unchanged(current)
    return _publish(current, now)


def delete_post(post: Post | None, actor_id: str, now: datetime) -> Change:
    return _delete(require_author(post, actor_id), now)


def invite_coauthor(
    post: Post | None,
    actor_id: str,
    *,
    invitee_id: str,
    invitation_id: str,
    max_coauthors: int,
    max_invitations: int,
    now: datetime,
) -> Change:
    """`max_invitations` bounds the accounts ever invited to one post (current and former),
    so inviting and revoking in a loop cannot grow the post's document without end."""
    current = require_author(post, actor_id)
    if invitee_id == current.author_id:
        raise InvalidPost("The author cannot invite itself.")
    if current.coauthor(invitee_id) is not None:
        raise InvalidPost("That account is already invited to or credited on this post.")
    if len(current.coauthors) >= max_coauthors:
        raise InvalidPost(f"A post has at most {max_coauthors} co-authors.")
    if len(current.coauthors) + len(current.former_coauthor_ids) >= max_invitations:
        raise InvalidPost(f"A post can have at most {max_invitations} accounts invited to it.")
    entry = Coauthor(
        user_id=invitee_id, invitation_id=invitation_id, status="invited", invited_at=now
    )
    invited = PostCoauthorInvited(
        post_id=current.id,
        author_id=current.author_id,
        invitation_id=invitation_id,
        invitee_id=invitee_id,
        invited_at=now,
    )
    return Change(replace(current, coauthors=(*current.coauthors, entry)), (invited,))


def remove_coauthor(
    post: Post | None, actor_id: str, target_id: str | None, now: datetime
) -> Change:
    """The author removes or revokes anyone; a co-author or invitee removes only itself.

    Leaving a post one already left is a no-op, even once the post is out of one's sight.
    """
    if post is not None and _is_leaving_again(post, actor_id, target_id):
        return unchanged(post)
    current = require_visible(post, actor_id)
    entry = current.coauthor(target_id) if target_id else None
    if actor_id == current.author_id:
        if entry is None:
            raise CoauthorNotFound()
        reason: CoauthorRemovalReason = "removed" if entry.status == "accepted" else "revoked"
    elif entry is not None and actor_id == entry.user_id:
        reason = "left" if entry.status == "accepted" else "declined"
    elif target_id == actor_id:
        raise CoauthorNotFound()
    else:
        raise NotPostAuthor("Only the author or the co-author itself may do this.")
    return _settle(_drop(current, entry, reason, now), now)


def _is_leaving_again(post: Post, actor_id: str, target_id: str | None) -> bool:
    return (
        target_id == actor_id
        and not post.is_deleted
        and post.coauthor(actor_id) is None
        and actor_id in post.former_coauthor_ids
    )


# -- transitions driven by events ----------------------------------------------------------


def accept_invitation(
    post: Post, invitation_id: str, accepted_at: datetime, now: datetime
) -> Change:
    """Credit the invitee, unless the post is gone or the invitation no longer stands."""
    entry = post.coauthor_by_invitation(invitation_id)
    if post.is_deleted or entry is None or entry.status != "invited":
        return unchanged(post)
    accepted = replace(entry, status="accepted", accepted_at=accepted_at)
    updated = replace(post, coauthors=_swap(post.coauthors, entry, accepted))
    events: tuple[EventData, ...] = ()
    # A pending post reaches no one yet: its post.published will carry the credit.
    if updated.status == "published":
        events = (
            PostCoauthorAdded(
                post_id=post.id,
                author_id=post.author_id,
                coauthor_id=entry.user_id,
                invitation_id=invitation_id,
                added_at=accepted_at,
            ),
        )
    return _settle(Change(updated, events), now)


def drop_invitation(post: Post, invitation_id: str, now: datetime) -> Change:
    """A declined, expired, revoked or cancelled invitation: the entry goes, no credit existed."""
    entry = post.coauthor_by_invitation(invitation_id)
    if post.is_deleted or entry is None or entry.status != "invited":
        return unchanged(post)
    return _settle(Change(_without(post, entry)), now)


def remove_deleted_account(post: Post, user_id: str, now: datetime) -> Change:
    """The account's own posts are deleted; its credits and invitations elsewhere removed."""
    if post.is_deleted:
        return unchanged(post)
    if post.author_id == user_id:
        return _delete(post, now)
    entry = post.coauthor(user_id)
    if entry is None:
        return unchanged(post)
    return _settle(_drop(post, entry, "account_deleted", now), now)


def separate_blocked_pair(post: Post, blocker_id: str, blocked_id: str, now: datetime) -> Change:
    """A block either way ends any credit or invitation between the author and the other."""
    if post.is_deleted or post.author_id not in (blocker_id, blocked_id):
        return unchanged(post)
    other = blocked_id if post.author_id == blocker_id else blocker_id
    entry = post.coauthor(other)
    if entry is None:
        return unchanged(post)
    return _settle(_drop(post, entry, "blocked", now), now)


# -- the invite rate limit -----------------------------------------------------------------


def invite_window(now: datetime) -> tuple[datetime, int]:
    """The hour an invite counts in, and the seconds until that hour ends."""
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    seconds_left = int((start + INVITE_WINDOW - now).total_seconds()) + 1
    return start, seconds_left


def check_invite_budget(count_in_window: int, limit: int, seconds_left: int) -> None:
    if count_in_window > limit:
        raise InviteRateLimited(seconds_left)


# -- building blocks -----------------------------------------------------------------------


def _publish(post: Post, now: datetime) -> Change:
    published = replace(post, status="published", published_at=now)
    return Change(published, (_published_event(published),))


def _published_event(post: Post) -> PostPublished:
    assert post.published_at is not None
    return PostPublished(
        post_id=post.id,
        author_id=post.author_id,
        text=post.text,
        coauthor_ids=post.accepted_ids,
        created_at=post.created_at,
        published_at=post.published_at,
        publish_mode=post.publish_mode,
        remix_of_post_id=post.remix_of.original_id if post.remix_of else None,
        remix_status=post.remix_of.status if post.remix_of else None,
    )


def _delete(post: Post, now: datetime) -> Change:
    deleted = replace(post, status="deleted", deleted_at=now)
    event = PostDeleted(
        post_id=post.id, author_id=post.author_id, coauthor_ids=post.accepted_ids, deleted_at=now
    )
    return Change(deleted, (event,))


def _drop(post: Post, entry: Coauthor, reason: CoauthorRemovalReason, now: datetime) -> Change:
    removed = PostCoauthorRemoved(
        post_id=post.id,
        author_id=post.author_id,
        coauthor_id=entry.user_id,
        reason=reason,
        removed_at=now,
        was_credited=entry.status == "accepted",
        invitation_id=entry.invitation_id,
    )
    return Change(_without(post, entry), (removed,))


def _settle(change: Change, now: datetime) -> Change:
    """A when_accepted post is published once no invitation is left unanswered."""
    post = change.post
    waiting = any(c.status == "invited" for c in post.coauthors)
    if post.status != "pending" or waiting:
        return change
    return change.then(_publish(post, now))


def _swap(coauthors: tuple[Coauthor, ...], old: Coauthor, new: Coauthor) -> tuple[Coauthor, ...]:
    return tuple(new if c.user_id == old.user_id else c for c in coauthors)


def _without(post: Post, gone: Coauthor) -> Post:
    """The post without that entry, remembering the user was once on it."""
    former = post.former_coauthor_ids
    return replace(
        post,
        coauthors=tuple(c for c in post.coauthors if c.user_id != gone.user_id),
        former_coauthor_ids=former if gone.user_id in former else (*former, gone.user_id),
    )


# -- engagement (issue 12): likes and replies ----------------------------------------------


@dataclass(frozen=True)
class Counts:
    """A post's shared counters and their version (one more at every change)."""

    like_count: int = 0
    reply_count: int = 0
    version: int = 0

    def after(self, *, likes: int = 0, replies: int = 0) -> "Counts":
        return Counts(
            max(0, self.like_count + likes), max(0, self.reply_count + replies), self.version + 1
        )


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


def validate_reply_text(text: str, *, max_text_length: int) -> str:
    clean_text = normalize_text(text)
    errors = _text_errors(clean_text, max_text_length)
    if errors:
        raise InvalidPost("The reply is not valid.", errors=errors)
    return clean_text


def new_reply(*, reply_id: str, parent: Post, author_id: str, text: str, now: datetime) -> Post:
    return Post(
        id=reply_id,
        author_id=author_id,
        text=text,
        publish_mode="now",
        status="published",
        created_at=now,
        published_at=now,
        reply_to=parent.id,
    )
