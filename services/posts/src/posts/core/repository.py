"""The posts collection: each post with the user profiles it names and the outbox of its changes.

Every change to a post is one conditional update on its `version`, carrying its events in
the post's outbox, so a state change and what it announces are written together or not at all.
Capabilities keep fields of their own on the same document (counts, remix links) and read
them through their own repositories.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import TypeAdapter

from posts.core.rules import Change, Counts, Post, PostNotFound, RemoteOrigin
from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import WITHOUT_OUTBOX, outbox_fields, with_events
from shared.personal_data import PersonalRecords
from shared.public_post import RemoteMediaOut
from shared.public_user import PublicUser
from shared.user_directory import USER_DIRECTORY_INDEXES

POSTS = "posts"
# Posts the person authored or is (or was invited to be) a co-author of, and their replies.
POST_PERSONAL_DATA = (
    PersonalRecords(
        "posts.json",
        POSTS,
        lambda user: {
            "reply_to": None,
            "$or": [{"author_id": user}, {"coauthors.user_id": user}],
        },
    ),
    PersonalRecords(
        "replies.json", POSTS, lambda user: {"author_id": user, "reply_to": {"$ne": None}}
    ),
)

POST_INDEXES = [IndexSpec(POSTS, [("author_id", 1)]), *USER_DIRECTORY_INDEXES]

_POST = TypeAdapter(Post)
_SNAPSHOTS = TypeAdapter(list[PublicUser])
# What a transition may change (mode and creation time never do; text and media only by an
# applied edit or, for media, an alt text edited after posting; the author only by a hand-over;
# a remote post's origin only by its author's edit).
_CHANGEABLE = {
    "author_id",
    "keep_on_author_deletion",
    "handover",
    "text",
    "media",
    "content_version",
    "edited_at",
    "revisions",
    "remote",
    "edit",
    "status",
    "published_at",
    "deleted_at",
    "coauthors",
    "former_coauthor_ids",
    "version",
    "remix_of",
}


@dataclass(frozen=True, slots=True)
class RemoteContent:
    """What a remote account's post shows besides its text, as its Note gave them: its content
    warning and its media, linked where its own server serves them (only http(s) URLs)."""

    content_warning: str | None = None
    media: tuple[RemoteMediaOut, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredPost:
    """A post and the user profiles captured when it was written (a rendering fallback)."""

    post: Post
    snapshots: dict[str, PublicUser] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)
    remote: RemoteContent = field(default_factory=RemoteContent)


class PostRepository:
    def __init__(self, db: Database) -> None:
        self._posts = db[POSTS]

    async def get(self, post_id: str) -> StoredPost | None:
        document = await self._posts.find_one({"_id": post_id}, WITHOUT_OUTBOX)
        return stored_post(document) if document else None

    async def existing(self, post_id: str) -> StoredPost:
        """The post, or a 404: for the use cases that act on one post by its id."""
        stored = await self.get(post_id)
        if stored is None:
            raise PostNotFound()
        return stored

    async def many(self, post_ids: Iterable[str]) -> dict[str, StoredPost]:
        cursor = self._posts.find({"_id": {"$in": list(post_ids)}}, WITHOUT_OUTBOX)
        return {document["_id"]: stored_post(document) async for document in cursor}

    async def insert(
        self,
        post: Post,
        snapshots: Iterable[PublicUser],
        events: Sequence[EventEnvelope],
        *,
        extra: Document | None = None,
    ) -> None:
        """A new post with its events; `extra`: fields of a capability's own (a reply's flag)."""
        document = {
            "_id": post.id,
            **_POST.dump_python(post, exclude={"id"}),
            **(extra or {}),
            "user_snapshots": _SNAPSHOTS.dump_python(list(snapshots)),
            **outbox_fields(events),
        }
        await self._posts.insert_one(document)

    async def write(
        self,
        before: Post,
        change: Change,
        snapshots: Sequence[PublicUser],
        events: Sequence[EventEnvelope],
    ) -> bool:
        """Write `change` with its events unless the post changed since `before` was read."""
        update: Document = {
            "$set": {
                **_POST.dump_python(change.post, include=_CHANGEABLE),
                "version": before.version + 1,
                "user_snapshots": _SNAPSHOTS.dump_python(list(snapshots)),
            }
        }
        result = await self._posts.update_one(
            {"_id": before.id, "version": before.version}, with_events(update, events)
        )
        return result.modified_count == 1


def stored_post(document: Document) -> StoredPost:
    """A post as read from its document (for every repository reading the posts collection)."""
    post = _POST.validate_python({**document, "id": document["_id"]})
    counts = Counts(
        document.get("like_count", 0),
        document.get("reply_count", 0),
        document.get("counts_version") or 0,
    )
    snapshots = {s.id: s for s in _SNAPSHOTS.validate_python(document.get("user_snapshots", []))}
    return StoredPost(post, snapshots, counts, remote_content(post.remote))


def remote_content(origin: RemoteOrigin | None) -> RemoteContent:
    """The content warning and media a remote post shows (none for a local post)."""
    if origin is None:
        return RemoteContent()
    shown = (RemoteMediaOut.shown(a.url, a.media_type, a.name) for a in origin.attachments)
    media = tuple(medium for medium in shown if medium is not None)
    return RemoteContent(origin.summary or None, media)
