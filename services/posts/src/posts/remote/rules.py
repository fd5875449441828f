"""What a remote account's post is here, pure: published at once, with no co-authors, its text
fitted to this instance's rules; its edits applied only when newer, by its own author."""

from dataclasses import replace

from posts.core.rules import (
    CONTROL_CHARACTERS,
    Change,
    Post,
    RemixLink,
    Revision,
    delete,
    normalize_text,
    published_event,
    unchanged,
)
from shared.events.federation import RemotePostDeleted, RemotePostEdited, RemotePostReceived
from shared.events.posts import PostCreated, PostEdited
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


def edit_remote_post(post: Post, edited: RemotePostEdited, url: str, max_length: int) -> Change:
    """The new text as the next version, unless the post is gone, is another's, or already
    has a newer version."""
    last = post.edited_at or post.created_at
    if post.is_deleted or post.author_id != edited.author_id or edited.edited_at <= last:
        return unchanged(post)
    previous = Revision(post.content_version, post.text, post.media, post.edited_at)
    changed = replace(
        post,
        text=remote_text(edited.text, url, max_length),
        content_version=post.content_version + 1,
        edited_at=edited.edited_at,
        revisions=(*post.revisions, previous),
    )
    event = PostEdited(
        post_id=post.id,
        edit_id=edited.activity_id,
        proposer_id=post.author_id,
        author_id=post.author_id,
        coauthor_ids=(),
        text=changed.text,
        version=changed.content_version,
        edited_at=edited.edited_at,
    )
    return Change(changed, (event,))


def delete_remote_post(post: Post, deleted: RemotePostDeleted) -> Change:
    if post.is_deleted or post.author_id != deleted.author_id:
        return unchanged(post)
    return delete(post, deleted.deleted_at)
