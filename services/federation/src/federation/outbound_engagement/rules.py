"""The activities a local account's engagement with a remote post is told with, free of I/O.
Every id is derived from what it tells (the like's version, the reply's id), so a repeat is
the same activity and the receiver takes it once."""

from datetime import datetime
from typing import Any

from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls
from federation.publishing.rules import PUBLIC, LocalPost, delete_of, html_of, timestamp
from shared.events.posts import PostLiked, PostReplied
from shared.remote_accounts import is_remote_user_id


def engages_remote_post(event: PostLiked | PostReplied) -> bool:
    """Whether a like or reply is a local account's of a post with a remote author: the only
    ones sent anywhere (`when=` of their subscriptions)."""
    user_id = event.liker_id if isinstance(event, PostLiked) else event.replier_id
    return not is_remote_user_id(user_id) and any(map(is_remote_user_id, event.author_ids))


def like_of(
    handle: str, post_id: str, like_seq: int, note_id: str, urls: LocalUrls
) -> dict[str, Any]:
    """`like_seq`: the like's version for this post and account, so a like after an unlike is
    a new Like while a redelivered one is the same."""
    actor = urls.actor(handle)
    return {
        "@context": AS_CONTEXT,
        "id": f"{actor}#likes/{post_id}/{like_seq}",
        "type": "Like",
        "actor": actor,
        "object": note_id,
    }


def undo_of(like: dict[str, Any]) -> dict[str, Any]:
    """The Undo of a Like sent before, embedding it (as Mastodon sends it)."""
    return {
        "@context": AS_CONTEXT,
        "id": f"{like['id']}/undo",
        "type": "Undo",
        "actor": like["actor"],
        "object": {key: value for key, value in like.items() if key != "@context"},
    }


def reply_note_of(
    reply_id: str,
    handle: str,
    text: str,
    in_reply_to: str,
    author_actor_ids: list[str],
    replied_at: datetime,
    urls: LocalUrls,
) -> dict[str, Any]:
    """The public Note of a local reply to a remote post, addressed to the post's authors too
    (their servers take only public Notes as replies). It lives at the reply's post URL."""
    note_id = urls.post(reply_id)
    return {
        "id": note_id,
        "type": "Note",
        "attributedTo": urls.actor(handle),
        "inReplyTo": in_reply_to,
        "content": html_of(text),
        "published": timestamp(replied_at),
        "url": note_id,
        "to": [PUBLIC],
        "cc": [urls.followers(handle), *author_actor_ids],
    }


def reply_delete_of(
    reply_id: str, handle: str, deleted_at: datetime, urls: LocalUrls
) -> dict[str, Any]:
    """A Delete of the reply's Note with a Tombstone, as a deleted post's."""
    return delete_of(LocalPost(reply_id, deleted_at=deleted_at), handle, urls)
