"""What a remote account's post is here, pure: published at once, its text fitted to this
instance's rules, credited to the remote co-authors whose consent the federation service
checked; its edits (text, content warning, media) applied only when newer, by its own author,
each carrying who is credited now (a remote co-author left out is no longer)."""

from dataclasses import replace
from datetime import datetime

from posts.core.rules import (
    CONTROL_CHARACTERS,
    Change,
    Coauthor,
    Post,
    RemixLink,
    RemoteOrigin,
    Revision,
    delete,
    normalize_text,
    published_event,
    unchanged,
)
from shared.events.federation import RemotePostDeleted, RemotePostEdited, RemotePostReceived
from shared.events.posts import PostCoauthorAdded, PostCoauthorRemoved, PostCreated, PostEdited
from shared.remote_accounts import is_remote_user_id
from shared.visible_text import shows_something

ELLIPSIS = "…"


def remote_text(text: str, url: str, max_length: int) -> str:
    """The text as shown here: normalized, without control characters, cut to `max_length`;
    the Note's URL when it shows nothing (a picture alone)."""
    shown = normalize_text(CONTROL_CHARACTERS.sub("", text))
    if not shows_something(shown):
        shown = url
    if len(shown) > max_length:
        shown = shown[: max_length - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return shown


def received_post(
    received: RemotePostReceived, max_length: int, remix_of: RemixLink | None = None
) -> Change:
    """`remix_of`: a quote of a local post (its remix events are the remixing rules')."""
    post = Post(
        id=received.post_id,
        author_id=received.author_id,
        text=remote_text(received.text, received.url, max_length),
        publish_mode="now",
        status="published",
        created_at=received.published_at,
        published_at=received.published_at,
        remix_of=remix_of,
        remote=RemoteOrigin(
            note_id=received.note_id,
            url=received.url,
            summary=received.summary,
            attachments=received.attachments,
        ),
        coauthors=tuple(
            remote_credit(coauthor_id, received.published_at)
            for coauthor_id in received.coauthor_ids
            if coauthor_id != received.author_id
        ),
    )
    created = PostCreated(
        post_id=post.id,
        author_id=post.author_id,
        text=post.text,
        publish_mode="now",
        created_at=post.created_at,
        remix_of_post_id=remix_of.original_id if remix_of else None,
    )
    return Change(post, (created, published_event(post)))


def remote_credit(coauthor_id: str, at: datetime) -> Coauthor:
    """A remote co-author's credit: no invitation here, it rests on their consent stamp."""
    return Coauthor(
        user_id=coauthor_id,
        invitation_id=f"remote-credit:{coauthor_id}",
        status="accepted",
        invited_at=at,
        accepted_at=at,
    )


def edit_remote_post(post: Post, edited: RemotePostEdited, max_length: int) -> Change:
    """Who is credited now, then the new content (text, content warning, media) as the next
    version unless it is the same (an Update that changed only the credits) or not newer;
    nothing once the post is gone or when it is another's (or not a remote post)."""
    if post.is_deleted or post.author_id != edited.author_id or post.remote is None:
        return unchanged(post)
    credited = recredit_remote_post(post, edited.coauthor_ids, edited.edited_at)
    return credited.then(_edit_content(credited.post, post.remote, edited, max_length))


def recredit_remote_post(post: Post, coauthor_ids: tuple[str, ...], at: datetime) -> Change:
    """The remote co-authors credited as `coauthor_ids` says: the others' credit ends (they
    left, or their stamp no longer checks out), newcomers are added. Local co-authors (invited
    from here) are this instance's own to credit and are left as they are."""
    wanted = [c for c in coauthor_ids if c != post.author_id]
    events: list[PostCoauthorAdded | PostCoauthorRemoved] = []
    kept: list[Coauthor] = []
    for coauthor in post.coauthors:
        if not is_remote_user_id(coauthor.user_id) or coauthor.user_id in wanted:
            kept.append(coauthor)
            continue
        events.append(
            PostCoauthorRemoved(
                post_id=post.id,
                author_id=post.author_id,
                coauthor_id=coauthor.user_id,
                reason="left",
                removed_at=at,
                invitation_id=coauthor.invitation_id,
            )
        )
    known = {c.user_id for c in post.coauthors}
    for coauthor_id in wanted:
        if coauthor_id in known:
            continue
        credit = remote_credit(coauthor_id, at)
        kept.append(credit)
        events.append(
            PostCoauthorAdded(
                post_id=post.id,
                author_id=post.author_id,
                coauthor_id=coauthor_id,
                invitation_id=credit.invitation_id,
                added_at=at,
            )
        )
    if not events:
        return unchanged(post)
    gone = tuple(c.user_id for c in post.coauthors if c not in kept)
    former = (*post.former_coauthor_ids, *(g for g in gone if g not in post.former_coauthor_ids))
    changed = replace(post, coauthors=tuple(kept), former_coauthor_ids=former)
    return Change(changed, tuple(events))


def _edit_content(
    post: Post, origin: RemoteOrigin, edited: RemotePostEdited, max_length: int
) -> Change:
    text = remote_text(edited.text, origin.url, max_length)
    if edited.attachments is not None:  # told since 1.2: the Note's content warning and media
        origin = replace(origin, summary=edited.summary, attachments=edited.attachments)
    last = post.edited_at or post.created_at
    if (text, origin) == (post.text, post.remote) or edited.edited_at <= last:
        return unchanged(post)
    previous = Revision(post.content_version, post.text, post.media, post.edited_at)
    changed = replace(
        post,
        text=text,
        remote=origin,
        content_version=post.content_version + 1,
        edited_at=edited.edited_at,
        revisions=(*post.revisions, previous),
    )
    event = PostEdited(
        post_id=post.id,
        edit_id=edited.activity_id,
        proposer_id=post.author_id,
        author_id=post.author_id,
        coauthor_ids=changed.accepted_ids,
        text=changed.text,
        version=changed.content_version,
        edited_at=edited.edited_at,
    )
    return Change(changed, (event,))


def delete_remote_post(post: Post, deleted: RemotePostDeleted) -> Change:
    if post.is_deleted or post.author_id != deleted.author_id:
        return unchanged(post)
    return delete(post, deleted.deleted_at)
