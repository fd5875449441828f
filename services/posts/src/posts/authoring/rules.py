"""Writing a post, pure: the request validated and normalised, the post created (with its
invitations and remix link) and deleted."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from posts.core.rules import (
    Change,
    Coauthor,
    InvalidPost,
    Post,
    RemixLink,
    delete,
    handle_errors,
    normalize_credit,
    normalize_text,
    published_event,
    require_author,
    settle,
    text_errors,
)
from shared.events import EventData
from shared.events.posts import InvitedCoauthor, PostCreated, PublishMode


@dataclass(frozen=True, slots=True)
class NewPostRequest:
    text: str
    handles: tuple[str, ...]
    # The credit of each handle, in the same order (None: credited for nothing in particular).
    credits: tuple[str | None, ...] = ()

    def credit_of(self, index: int) -> str | None:
        return self.credits[index] if index < len(self.credits) else None


@dataclass(frozen=True, slots=True)
class NewInvitation:
    """An invitee found eligible, the id of its invitation and what it is credited for."""

    user_id: str
    invitation_id: str
    credit: str | None = None


def validate_new_post(
    text: str,
    handles: Sequence[str],
    *,
    credits: Sequence[str | None] = (),
    max_coauthors: int,
    max_text_length: int,
) -> NewPostRequest:
    """The text normalised, the handles lower-cased and the credits as shown, or a 422
    listing every broken rule. `credits` go with `handles` by position."""
    clean_text = normalize_text(text)
    errors = text_errors(clean_text, max_text_length)
    errors += handle_errors(handles, max_coauthors)
    clean_credits: list[str | None] = []
    for index, raw in enumerate(credits):
        credit, credit_errors = normalize_credit(raw, ("body", "coauthors", str(index), "credit"))
        clean_credits.append(credit)
        errors += credit_errors
    if errors:
        raise InvalidPost("The post is not valid.", errors=errors)
    return NewPostRequest(
        clean_text, tuple(h.strip().lower() for h in handles), tuple(clean_credits)
    )


def create_post(
    *,
    post_id: str,
    author_id: str,
    request: NewPostRequest,
    publish_mode: PublishMode,
    invitees: Sequence[NewInvitation],
    now: datetime,
    remix_of: RemixLink | None = None,
) -> Change:
    """`invitees` are already found eligible; `remix_of` the consented link of a remix (its
    own events are `posts.remixing.rules.creation_events`)."""
    if any(invitee.user_id == author_id for invitee in invitees):
        raise InvalidPost("The author cannot invite itself.")
    coauthors = tuple(
        Coauthor(
            user_id=invitee.user_id,
            invitation_id=invitee.invitation_id,
            status="invited",
            invited_at=now,
            credit=invitee.credit,
        )
        for invitee in invitees
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
            InvitedCoauthor(invitation_id=c.invitation_id, invitee_id=c.user_id, credit=c.credit)
            for c in coauthors
        ),
        remix_of_post_id=remix_of.original_id if remix_of else None,
    )
    events: tuple[EventData, ...] = (created,)
    if post.status == "published":
        events += (published_event(post),)
    return settle(Change(post, events), now)


def delete_post(post: Post | None, actor_id: str, now: datetime) -> Change:
    return delete(require_author(post, actor_id), now)
