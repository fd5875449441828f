"""Editing a post, pure: who may propose, approve, reject or withdraw an edit, when it applies,
expires or goes stale, and the limits (an edit window after publication, a number of edits).

The proposal lives on the post (`Post.edit`), so every transition below is one conditional
write of the post: an approval and the expiry racing it cannot both win, and an edit applies
with its text, media, alt texts, version and history together or not at all.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from posts.core.rules import (
    Approval,
    Change,
    EditProposal,
    InvalidPost,
    Post,
    PostNotFound,
    Revision,
    error,
    normalize_text,
    require_visible,
    text_errors,
    unchanged,
)
from posts.engagement.rules import credited_author_ids
from shared.events.posts import EditStatus, PostEdited, PostEditEnded, PostEditProposed
from shared.problems import Conflict, Forbidden, NotFound
from shared.public_media import MAX_ALT_TEXT, MAX_MEDIA_PER_POST, AttachedMedia, newest_media

type EditAnswer = Literal["approved", "rejected"]


@dataclass(frozen=True, slots=True)
class EditLimits:
    """The settings every proposal is checked against."""

    window: timedelta
    max_edits: int
    approval_window: timedelta
    max_text_length: int


class EditNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such edit of this post.")


class EditConflict(Conflict):
    """An edit refused for the state of the post or the proposal (open, stale, ended, over
    the limits)."""

    slug = "edit-conflict"


class NotAnApprover(Forbidden):
    def __init__(self) -> None:
        super().__init__("Only the post's other credited authors answer its proposed edit.")


class NotTheProposer(Forbidden):
    def __init__(self) -> None:
        super().__init__("Only whoever proposed the edit, or the post's author, may withdraw it.")


def require_credited(post: Post | None, user_id: str) -> Post:
    """Whoever is not a credited author of a post learns nothing of its edits: 404."""
    visible = require_visible(post, user_id)
    if user_id not in credited_author_ids(visible):
        raise PostNotFound()
    return visible


def media_to_reserve(
    post: Post | None,
    *,
    proposer_id: str,
    text: str | None,
    base_version: int | None,
    limits: EditLimits,
    now: datetime,
    media_ids: Sequence[str] | None,
    alt_texts: Mapping[str, str | None] | None,
) -> tuple[str, ...]:
    """The uploads a proposal would add to the post, for the media service to reserve, once
    the proposal is known to be fine but for what only that service knows of them (whose they
    are, whether free and ready, and a video's kind): bad input reserves nothing."""
    current = require_credited(post, proposer_id)
    on_post = {medium.id for medium in current.media}
    new_ids = tuple(dict.fromkeys(m for m in media_ids or () if m not in on_post))
    propose(
        current,
        edit_id="",
        proposer_id=proposer_id,
        text=text,
        base_version=base_version,
        limits=limits,
        now=now,
        media_ids=media_ids,
        alt_texts=alt_texts,
        reserved=tuple(AttachedMedia(id=m, kind="image") for m in new_ids),
    )
    return new_ids


def propose(
    post: Post | None,
    *,
    edit_id: str,
    proposer_id: str,
    text: str | None,
    base_version: int | None,
    limits: EditLimits,
    now: datetime,
    media_ids: Sequence[str] | None = None,
    alt_texts: Mapping[str, str | None] | None = None,
    reserved: Sequence[AttachedMedia] = (),
) -> Change:
    """A new proposal: applied at once when nobody else is credited, otherwise pending until
    every other credited author approves (or one rejects, or it expires). No `text`: the
    current one; no `media_ids`: the post's media, as they are (`alt_texts` may still change
    theirs); `reserved`: the uploads the media service reserved for it (`media_to_reserve`)."""
    current = require_credited(post, proposer_id)
    settled = expire(current, now)
    current = settled.post
    require_open_to_edits(current, base_version, limits, now)
    text = current.text if text is None else normalize_text(text)
    media = _proposed_media(current, media_ids, reserved)
    captions = _alt_texts(current.media if media is None else media, alt_texts or {})
    errors = text_errors(
        text, limits.max_text_length, with_media=bool(current.media if media is None else media)
    )
    if errors:
        raise InvalidPost("The edit is not valid.", errors=errors)
    approvers = tuple(uid for uid in credited_author_ids(current) if uid != proposer_id)
    proposal = EditProposal(
        id=edit_id,
        proposer_id=proposer_id,
        text=text,
        base_version=current.content_version,
        status="pending",
        approvals=tuple(Approval(uid) for uid in approvers),
        created_at=now,
        expires_at=now + limits.approval_window,
        media=media,
        alt_texts=captions,
    )
    if text == current.text and edited_media(current, proposal) == current.media:
        msg = "The edit changes nothing."
        raise InvalidPost(msg, errors=[error(("body", "text"), msg, "unchanged")])
    proposed = replace(current, edit=proposal)
    if not approvers:
        return settled.then(_apply(proposed, proposal, now))
    event = PostEditProposed(
        post_id=current.id,
        edit_id=edit_id,
        proposer_id=proposer_id,
        approver_ids=approvers,
        text=text,
        proposed_at=now,
        expires_at=proposal.expires_at,
    )
    return settled.then(Change(proposed, (event,)))


def require_open_to_edits(
    post: Post, base_version: int | None, limits: EditLimits, now: datetime
) -> None:
    if post.status != "published" or post.published_at is None:
        raise EditConflict("A post is edited once published.")
    if base_version is not None and base_version != post.content_version:
        raise EditConflict(
            f"The post changed since version {base_version}; it is at {post.content_version}."
        )
    if post.edit is not None and post.edit.status == "pending":
        raise EditConflict("An edit of this post is already waiting for approval.")
    if now > post.published_at + limits.window:
        raise EditConflict("The time to edit this post is over.")
    if len(post.revisions) >= limits.max_edits:
        raise EditConflict(f"A post is edited at most {limits.max_edits} times.")


def _proposed_media(
    post: Post, media_ids: Sequence[str] | None, reserved: Sequence[AttachedMedia]
) -> tuple[AttachedMedia, ...] | None:
    """The media the edit would put on the post, in order: the post's own and the uploads
    reserved for it; the limits are those of a new post (422)."""
    if media_ids is None:
        return None
    available = {medium.id: medium for medium in (*post.media, *reserved)}
    kinds = [available[m].kind for m in media_ids if m in available]
    if (
        len(media_ids) > MAX_MEDIA_PER_POST
        or len(set(media_ids)) < len(media_ids)
        or ("video" in kinds and len(kinds) > 1)
    ):
        msg = "A post carries up to 4 pictures, or 1 video, each once."
        raise InvalidPost(msg, errors=[error(("body", "media_ids"), msg, "composition")])
    missing = [m for m in media_ids if m not in available]
    if missing:
        raise NotFound(f"No such medium: {missing[0]}.")
    return tuple(available[m] for m in media_ids)


def _alt_texts(
    media: Sequence[AttachedMedia], alt_texts: Mapping[str, str | None]
) -> tuple[tuple[str, str | None], ...]:
    """The alt texts given, cleaned as the media service cleans them (blank removes), each
    for a medium the edited post carries (422 otherwise)."""
    ids = {medium.id for medium in media}
    errors = []
    for media_id, alt_text in alt_texts.items():
        if media_id not in ids:
            msg = "An alt text is for a medium the edited post carries."
            errors.append(error(("body", "alt_texts", media_id), msg, "unknown_medium"))
        elif alt_text is not None and len(alt_text) > MAX_ALT_TEXT:
            msg = f"An alt text has at most {MAX_ALT_TEXT} characters."
            errors.append(error(("body", "alt_texts", media_id), msg, "too_long"))
    if errors:
        raise InvalidPost("The edit is not valid.", errors=errors)
    return tuple((m, (text or "").strip() or None) for m, text in alt_texts.items())


def edited_media(post: Post, proposal: EditProposal) -> tuple[AttachedMedia, ...]:
    """The media the post carries once the proposal applies: the newest copy of each (an alt
    text edited since the proposal is kept), then the proposal's alt texts as a newer version."""
    media = post.media if proposal.media is None else newest_media(proposal.media, post.media)
    captions = dict(proposal.alt_texts)
    return tuple(
        medium.model_copy(
            update={
                "alt_text": captions[medium.id],
                "alt_text_version": medium.alt_text_version + 1,
            }
        )
        if medium.id in captions and captions[medium.id] != medium.alt_text
        else medium
        for medium in media
    )


def reserved_media_ids(post: Post, proposal: EditProposal) -> tuple[str, ...]:
    """The uploads a proposal added, not (yet) on the post."""
    on_post = {medium.id for medium in post.media}
    return tuple(m.id for m in proposal.media or () if m.id not in on_post)


def answer(
    post: Post | None, edit_id: str, actor_id: str, verdict: EditAnswer, now: datetime
) -> Change:
    """An approval or a rejection; repeating one's answer changes nothing, changing it is a
    conflict, and so is answering a proposal that has ended (or whose time is up)."""
    current = require_credited(post, actor_id)
    proposal = _proposal(current, edit_id)
    approval = next((a for a in proposal.approvals if a.user_id == actor_id), None)
    if approval is None:
        raise NotAnApprover()
    if approval.state == verdict:
        return unchanged(current)
    if proposal.status != "pending" or now >= proposal.expires_at:
        raise EditConflict(f"This edit is {status_at(proposal, now)}.")
    if approval.state != "pending":
        raise EditConflict(f"You already {approval.state} this edit.")
    answered = replace(
        proposal,
        approvals=tuple(
            replace(a, state=verdict) if a.user_id == actor_id else a for a in proposal.approvals
        ),
    )
    updated = replace(current, edit=answered)
    if verdict == "rejected":
        return _end(updated, "rejected", actor_id, now)
    return settle(updated, now)


def withdraw(post: Post | None, edit_id: str, actor_id: str, now: datetime) -> Change:
    """The proposer (or the post's author) withdraws a pending proposal; again is a no-op."""
    current = require_credited(post, actor_id)
    proposal = _proposal(current, edit_id)
    if actor_id not in (proposal.proposer_id, current.author_id):
        raise NotTheProposer()
    if proposal.status == "withdrawn":
        return unchanged(current)
    if proposal.status != "pending":
        raise EditConflict(f"This edit is {proposal.status}.")
    return _end(current, "withdrawn", actor_id, now)


def expire(post: Post, now: datetime) -> Change:
    """A pending proposal whose time is up expires; anything else is left as it is."""
    proposal = post.edit
    if post.is_deleted or proposal is None or proposal.status != "pending":
        return unchanged(post)
    if now < proposal.expires_at:
        return unchanged(post)
    return _end(post, "expired", None, now)


def settle(post: Post, now: datetime) -> Change:
    """After an approval or a credited author leaving: a proposal whose proposer left is
    withdrawn; one every remaining approver approved applies. Approvers who left are no
    longer needed."""
    proposal = post.edit
    if post.is_deleted or proposal is None or proposal.status != "pending":
        return unchanged(post)
    credited = credited_author_ids(post)
    if proposal.proposer_id not in credited:
        return _end(post, "withdrawn", None, now)
    needed = [a for a in proposal.approvals if a.user_id in credited]
    if any(a.state == "rejected" for a in needed):
        return _end(post, "rejected", None, now)
    if all(a.state == "approved" for a in needed):
        return _apply(post, proposal, now)
    return unchanged(post)


def history(post: Post) -> tuple[Revision, ...]:
    """Every version of the post's content, oldest first, the current one last."""
    current = Revision(post.content_version, post.text, post.media, post.edited_at)
    return (*post.revisions, current)


def _apply(post: Post, proposal: EditProposal, now: datetime) -> Change:
    """The proposal's text and media replace the post's, as the next version; the old one is
    history."""
    if post.content_version != proposal.base_version:
        raise EditConflict("The post changed since this edit was proposed.")
    previous = Revision(post.content_version, post.text, post.media, post.edited_at)
    media = edited_media(post, proposal)
    kept = {medium.id for medium in media}
    edited = replace(
        post,
        text=proposal.text,
        media=media,
        content_version=post.content_version + 1,
        edited_at=now,
        revisions=(*post.revisions, previous),
        edit=replace(proposal, status="applied", ended_at=now),
    )
    event = PostEdited(
        post_id=post.id,
        edit_id=proposal.id,
        proposer_id=proposal.proposer_id,
        author_id=post.author_id,
        coauthor_ids=post.accepted_ids,
        text=edited.text,
        media=edited.media,
        version=edited.content_version,
        edited_at=now,
        removed_media_ids=tuple(m.id for m in post.media if m.id not in kept),
    )
    return Change(edited, (event,))


def _end(post: Post, status: EditStatus, actor_id: str | None, now: datetime) -> Change:
    assert post.edit is not None
    ended = replace(post, edit=replace(post.edit, status=status, ended_at=now))
    event = PostEditEnded(
        post_id=post.id,
        edit_id=post.edit.id,
        proposer_id=post.edit.proposer_id,
        status=status,
        actor_id=actor_id,
        author_ids=credited_author_ids(post),
        ended_at=now,
        released_media_ids=reserved_media_ids(post, post.edit),
    )
    return Change(ended, (event,))


def _proposal(post: Post, edit_id: str) -> EditProposal:
    if post.edit is None or post.edit.id != edit_id:
        raise EditNotFound()
    return post.edit


def status_at(proposal: EditProposal, now: datetime) -> EditStatus:
    """A pending proposal past its time is expired, whether or not the sweep wrote it yet."""
    if proposal.status == "pending" and now >= proposal.expires_at:
        return "expired"
    return proposal.status
