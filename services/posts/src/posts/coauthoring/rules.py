"""Co-authoring a post, pure: who may be invited, the invitations' and credits' transitions
(asked for over HTTP or driven by invitations', users' and blocks' events) and the invite
rate limit."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from posts.core.rules import (
    Change,
    Coauthor,
    InvalidPost,
    NotPostAuthor,
    Post,
    error,
    handle_errors,
    normalize_credit,
    publish,
    require_author,
    require_visible,
    settle,
    unchanged,
)
from posts.editing.rules import settle as edit_settle
from posts.succession.rules import author_account_deleted
from shared.events import EventData
from shared.events.posts import (
    CoauthorRemovalReason,
    PostCoauthorAdded,
    PostCoauthorInvitationRefused,
    PostCoauthorInvited,
    PostCoauthorRemoved,
)
from shared.events.users import KeepCoauthoredPosts
from shared.problems import AccountGone, Forbidden, NotFound, TooManyRequests

# Eligibility reasons that mean the request itself is wrong, versus the invitee refusing it.
INVALID_INVITEE_REASONS = frozenset({"unknown_user", "self"})
INVITE_WINDOW = timedelta(hours=1)


class InviteeNotAllowed(Forbidden):
    def __init__(self, handles: Sequence[str]) -> None:
        super().__init__(
            "These accounts cannot be invited: " + ", ".join(handles),
            errors=[
                {"loc": ["body", "coauthors"], "msg": h, "type": "not_allowed"} for h in handles
            ],
        )


class CoauthorNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("That account is not a co-author of this post.")


class InviteRateLimited(TooManyRequests):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("Too many invitations this hour.", retry_after_seconds=retry_after_seconds)


def validate_invitee(handle: str, credit: str | None) -> tuple[str, str | None]:
    """The handle lower-cased and the credit as shown, or a 422 listing what is wrong."""
    errors = [{**e, "loc": ["body", "handle"]} for e in handle_errors([handle], max_coauthors=1)]
    clean_credit, credit_errors = normalize_credit(credit, ("body", "credit"))
    errors += credit_errors
    if errors:
        raise InvalidPost("The invitation is not valid.", errors=errors)
    return handle.strip().lower(), clean_credit


@dataclass(frozen=True, slots=True)
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
                error(("body", "coauthors"), f"{a.handle or a.user_id}: {a.reason}", a.reason or "")
                for a in invalid
            ],
        )
    refused = [a.handle or a.user_id or "?" for a in answers if not a.eligible]
    if refused:
        raise InviteeNotAllowed(refused)


def publish_post(post: Post | None, actor_id: str, now: datetime) -> Change:
    """Publishing early; publishing what is already published changes nothing."""
    current = require_author(post, actor_id)
    if current.status == "published":
        return unchanged(current)
    return publish(current, now)


def invite_coauthor(
    post: Post | None,
    actor_id: str,
    *,
    invitee_id: str,
    invitation_id: str,
    credit: str | None = None,
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
        user_id=invitee_id,
        invitation_id=invitation_id,
        status="invited",
        invited_at=now,
        credit=credit,
    )
    invited = PostCoauthorInvited(
        post_id=current.id,
        author_id=current.author_id,
        invitation_id=invitation_id,
        invitee_id=invitee_id,
        invited_at=now,
        credit=credit,
        post_text=current.text,
        post_media_ids=tuple(medium.id for medium in current.media),
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
    return settle(_drop(current, entry, reason, now), now)


def _is_leaving_again(post: Post, actor_id: str, target_id: str | None) -> bool:
    return (
        target_id == actor_id
        and not post.is_deleted
        and post.coauthor(actor_id) is None
        and actor_id in post.former_coauthor_ids
    )


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
                credit=entry.credit,
            ),
        )
    return settle(Change(updated, events), now)


def refuse_remote_invitation(
    post: Post, invitation_id: str, invitee_id: str, now: datetime
) -> Change:
    """A remote author's invitation this service will not add: the post stays as it is, and
    the refusal is told once per delivery (the federation service answers only the first)."""
    if post.coauthor_by_invitation(invitation_id) is not None:
        return unchanged(post)
    refused = PostCoauthorInvitationRefused(
        post_id=post.id,
        author_id=post.author_id,
        invitation_id=invitation_id,
        invitee_id=invitee_id,
        refused_at=now,
    )
    return Change(post, (refused,))


def withdraw_invitation(post: Post, invitation_id: str, now: datetime) -> Change:
    """A remote author's taking back of their invitation: its entry goes as if they removed
    it here (revoked while invited, removed once credited); an entry of another invitation
    stays."""
    entry = post.coauthor_by_invitation(invitation_id)
    if post.is_deleted or entry is None:
        return unchanged(post)
    return remove_coauthor(post, post.author_id, entry.user_id, now)


def drop_invitation(post: Post, invitation_id: str, now: datetime) -> Change:
    """A declined, expired, revoked or cancelled invitation: the entry goes, no credit existed."""
    entry = post.coauthor_by_invitation(invitation_id)
    if post.is_deleted or entry is None or entry.status != "invited":
        return unchanged(post)
    return settle(Change(_without(post, entry)), now)


def remove_deleted_account(
    post: Post, user_id: str, keep: KeepCoauthoredPosts, now: datetime
) -> Change:
    """The account's own posts are deleted or handed over (as it chose); its credits and
    invitations elsewhere removed."""
    if post.is_deleted:
        return unchanged(post)
    if post.author_id == user_id:
        return author_account_deleted(post, keep, now)
    entry = post.coauthor(user_id)
    if entry is None:
        return unchanged(post)
    return settle(_drop(post, entry, "account_deleted", now), now)


def separate_blocked_pair(post: Post, blocker_id: str, blocked_id: str, now: datetime) -> Change:
    """A block either way ends any credit or invitation between the author and the other."""
    if post.is_deleted or post.author_id not in (blocker_id, blocked_id):
        return unchanged(post)
    other = blocked_id if post.author_id == blocker_id else blocker_id
    entry = post.coauthor(other)
    if entry is None:
        return unchanged(post)
    return settle(_drop(post, entry, "blocked", now), now)


def invite_window(now: datetime) -> tuple[datetime, int]:
    """The hour an invite counts in, and the seconds until that hour ends."""
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    seconds_left = int((start + INVITE_WINDOW - now).total_seconds()) + 1
    return start, seconds_left


def check_invite_budget(count_in_window: int, limit: int, seconds_left: int) -> None:
    if count_in_window > limit:
        raise InviteRateLimited(seconds_left)


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
    remaining = _without(post, entry)
    # Whoever leaves is no longer needed for an open edit, which may then apply.
    return Change(remaining, (removed,)).then(edit_settle(remaining, now))


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
