"""MongoDB access of the posts service: posts (with their outbox), invite counters, tombstones.

Every change to a post is one conditional update on its `version`, carrying its events in
the post's outbox, so a state change and what it announces are written together or not at all.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from posts.domain import (
    INVITE_WINDOW,
    Change,
    Coauthor,
    Counts,
    Post,
    PostNotFound,
    RemixLink,
    Transition,
)
from shared.events import EventData
from shared.events.posts import RemixStatus
from shared.mongo import Database, Document, IndexSpec, increment
from shared.outbox import OUTBOX_FIELD, Outbox, outbox_entry, with_events
from shared.problems import Conflict
from shared.public_user import PublicUser
from shared.user_directory import USER_DIRECTORY_INDEXES

POSTS = "posts"
INVITE_COUNTERS = "invite_counters"
# Lost races on one post are rare; past this many the caller gets a 409 (or the event a retry).
MAX_WRITE_ATTEMPTS = 5
# Likes race on a popular post more often than edits do.
MAX_COUNT_ATTEMPTS = 50
# The last counter changes applied to a post, by id: a change retried after a crash finds
# itself here and is not counted twice. Retries come within seconds; this is many changes.
RECENT_COUNT_OPS = 500

INDEXES = [
    IndexSpec(POSTS, [("author_id", 1)]),
    IndexSpec(POSTS, [("reply_to", 1), ("created_at", 1)]),
    IndexSpec(POSTS, [("unsettled", 1)], {"sparse": True}),
    IndexSpec(POSTS, [("counted", 1)], {"sparse": True}),
    IndexSpec(POSTS, [("coauthors.user_id", 1)]),
    IndexSpec(INVITE_COUNTERS, [("expires_at", 1)], {"expireAfterSeconds": 0}),
    # Remixes of a post, newest first; remix requests by id.
    IndexSpec(POSTS, [("remix_of.original_id", 1), ("remix_of.status", 1), ("created_at", -1)]),
    IndexSpec(POSTS, [("remix_of.request_id", 1)], {"sparse": True}),
    *USER_DIRECTORY_INDEXES,
]


@dataclass(frozen=True)
class StoredPost:
    """A post and the user profiles captured when it was written (a rendering fallback)."""

    post: Post
    snapshots: dict[str, PublicUser] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)


class PostRepository:
    """Posts, written with the events of each change through the outbox."""

    def __init__(self, db: Database, outbox: Outbox) -> None:
        self._posts = db[POSTS]
        self._outbox = outbox

    async def get(self, post_id: str) -> StoredPost | None:
        document = await self._posts.find_one({"_id": post_id}, {OUTBOX_FIELD: 0})
        return _stored_post(document) if document else None

    async def existing(self, post_id: str) -> StoredPost:
        """The post, or a 404: for the use cases that act on one post by its id."""
        stored = await self.get(post_id)
        if stored is None:
            raise PostNotFound()
        return stored

    async def insert(self, change: Change, snapshots: Iterable[PublicUser]) -> None:
        document = {
            **_post_fields(change.post),
            "_id": change.post.id,
            "author_id": change.post.author_id,
            "text": change.post.text,
            "publish_mode": change.post.publish_mode,
            "created_at": change.post.created_at,
            "reply_to": change.post.reply_to,
            **({"unsettled": True} if change.post.reply_to else {}),
            "user_snapshots": [s.model_dump() for s in snapshots],
        }
        with self._outbox.publishing(*change.events) as events:
            document[OUTBOX_FIELD] = [outbox_entry(event) for event in events]
            await self._posts.insert_one(document)

    async def update(
        self,
        post_id: str,
        transition: Transition,
        snapshots: Sequence[PublicUser] = (),
    ) -> Change | None:
        """Apply `transition` to the current post and write it unless someone wrote first.

        The transition sees None for a post that does not exist, and may answer None: no change.
        """
        for _ in range(MAX_WRITE_ATTEMPTS):
            stored = await self.get(post_id)
            current = stored.post if stored else None
            change = transition(current)
            if stored is None or change is None or _is_noop(stored.post, change):
                return change
            kept = _snapshots_kept(
                change.post, {**stored.snapshots, **{s.id: s for s in snapshots}}
            )
            if await self._write(stored.post, change, kept):
                return change
        raise Conflict("The post was changed concurrently; try again.")

    async def _write(self, before: Post, change: Change, snapshots: Sequence[PublicUser]) -> bool:
        update: Document = {
            "$set": {
                **_post_fields(change.post),
                "version": before.version + 1,
                "user_snapshots": [s.model_dump() for s in snapshots],
            }
        }
        with self._outbox.publishing(*change.events) as events:
            result = await self._posts.update_one(
                {"_id": before.id, "version": before.version}, with_events(update, events)
            )
        return result.modified_count == 1

    async def ids_involving(self, user_id: str) -> list[str]:
        """Live posts the user authored or is invited to or credited on."""
        query = {
            "status": {"$ne": "deleted"},
            "$or": [{"author_id": user_id}, {"coauthors.user_id": user_id}],
        }
        return [doc["_id"] async for doc in self._posts.find(query, {"_id": 1})]

    async def ids_between(self, first_id: str, second_id: str) -> list[str]:
        """Live posts where one of the two is the author and the other a co-author."""
        query = {
            "status": {"$ne": "deleted"},
            "$or": [
                {"author_id": first_id, "coauthors.user_id": second_id},
                {"author_id": second_id, "coauthors.user_id": first_id},
            ],
        }
        return [doc["_id"] async for doc in self._posts.find(query, {"_id": 1})]

    # -- remixes (issue 13) -------------------------------------------------------------

    async def by_remix_request(self, request_id: str) -> StoredPost | None:
        document = await self._posts.find_one(
            {"remix_of.request_id": request_id}, {OUTBOX_FIELD: 0}
        )
        return _stored_post(document) if document else None

    async def remix_ids_of(self, original_id: str, statuses: Sequence[RemixStatus]) -> list[str]:
        query = {"remix_of.original_id": original_id, "remix_of.status": {"$in": list(statuses)}}
        return [doc["_id"] async for doc in self._posts.find(query, {"_id": 1})]

    async def approved_remix_counts(self, original_ids: Sequence[str]) -> dict[str, int]:
        """How many approved, published remixes each of these posts has: one command."""
        if not original_ids:
            return {}
        pipeline: list[Document] = [
            {"$match": _approved_remixes_of({"$in": list(original_ids)})},
            {"$group": {"_id": "$remix_of.original_id", "count": {"$sum": 1}}},
        ]
        cursor = await self._posts.aggregate(pipeline)
        return {row["_id"]: row["count"] async for row in cursor}

    async def approved_remixes(
        self, original_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[StoredPost]:
        """Published remixes showing the original, newest first."""
        return await self._newest_first(_approved_remixes_of(original_id), after, limit)

    async def remix_requests(
        self,
        original_ids: Sequence[str],
        status: RemixStatus | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[StoredPost]:
        """Live remixes that asked one of these originals for approval, newest first."""
        query: Document = {
            "remix_of.original_id": {"$in": list(original_ids)},
            "remix_of.request_id": {"$ne": None},
            "status": {"$ne": "deleted"},
        }
        if status is not None:
            query["remix_of.status"] = status
        return await self._newest_first(query, after, limit)

    async def ids_answerable_by(self, user_id: str) -> list[str]:
        """Live posts the user authored or is credited on: those whose remixes it answers."""
        query = {
            "status": {"$ne": "deleted"},
            "$or": [
                {"author_id": user_id},
                {"coauthors": {"$elemMatch": {"user_id": user_id, "status": "accepted"}}},
            ],
        }
        return [doc["_id"] async for doc in self._posts.find(query, {"_id": 1})]

    async def _newest_first(
        self, query: Document, after: tuple[datetime, str] | None, limit: int
    ) -> list[StoredPost]:
        if after is not None:
            created_at, post_id = after
            query = {
                **query,
                "created_at": {"$lte": created_at},
                "$nor": [{"created_at": created_at, "_id": {"$gte": post_id}}],
            }
        cursor = (
            self._posts.find(query, {OUTBOX_FIELD: 0})
            .sort([("created_at", -1), ("_id", -1)])
            .limit(limit)
        )
        return [_stored_post(document) async for document in cursor]

    # -- engagement counters (issue 12) ------------------------------------------------

    async def apply_count(
        self,
        post_id: str,
        op_id: str,
        make: Callable[[Post, Counts], EventData],
        *,
        likes: int = 0,
        replies: int = 0,
    ) -> bool:
        """Add to the post's counters once per `op_id`, with the event announcing the result.

        A compare-and-set on the counters' version: the event carries the exact counts it
        wrote. False when nothing was written (the post is gone, or `op_id` was applied).
        """
        for _ in range(MAX_COUNT_ATTEMPTS):
            document = await self._posts.find_one({"_id": post_id}, {OUTBOX_FIELD: 0})
            if document is None or op_id in document.get("applied_ops", ()):
                return False
            stored = _stored_post(document)
            if stored.post.is_deleted:
                return False
            before = stored.counts
            after = before.after(likes=likes, replies=replies)
            update = {
                "$set": {
                    "like_count": after.like_count,
                    "reply_count": after.reply_count,
                    "counts_version": after.version,
                },
                "$push": {"applied_ops": {"$each": [op_id], "$slice": -RECENT_COUNT_OPS}},
            }
            version_filter = before.version if before.version else {"$in": [0, None]}
            with self._outbox.publishing(make(stored.post, after)) as events:
                result = await self._posts.update_one(
                    {"_id": post_id, "counts_version": version_filter},
                    with_events(update, events),
                )
            if result.modified_count == 1:
                return True
        raise Conflict("The post's counters changed concurrently; try again.")

    async def mark_counted(self, post_id: str, counted: bool) -> None:
        """A reply's own flag: whether its parent's reply_count includes it."""
        await self._posts.update_one(
            {"_id": post_id}, {"$set": {"counted": counted}, "$unset": {"unsettled": ""}}
        )

    async def mark_reply_settled(self, post_id: str) -> None:
        await self._posts.update_one({"_id": post_id}, {"$unset": {"unsettled": ""}})

    async def unsettled_reply_ids(self, limit: int) -> list[str]:
        """Replies never counted (a crash after their insert) or deleted but still counted."""
        ids = []
        for query in ({"unsettled": True}, {"counted": True, "status": "deleted"}):
            cursor = self._posts.find(query, {"_id": 1}).limit(limit)
            ids += [document["_id"] async for document in cursor]
        return ids

    async def is_counted(self, post_id: str) -> bool:
        document = await self._posts.find_one({"_id": post_id}, {"counted": 1})
        return bool(document and document.get("counted"))

    async def replies_page(
        self,
        post_id: str,
        *,
        hidden_authors: Iterable[str],
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[StoredPost]:
        """Live replies to the post, oldest first, leaving out the hidden authors."""
        query: Document = {
            "reply_to": post_id,
            "status": "published",
            "author_id": {"$nin": list(hidden_authors)},
        }
        if after is not None:
            query["$or"] = [
                {"created_at": {"$gt": after[0]}},
                {"created_at": after[0], "_id": {"$gt": after[1]}},
            ]
        cursor = (
            self._posts.find(query, {OUTBOX_FIELD: 0})
            .sort([("created_at", 1), ("_id", 1)])
            .limit(limit)
        )
        return [_stored_post(document) async for document in cursor]

    async def many(self, post_ids: Iterable[str]) -> dict[str, StoredPost]:
        cursor = self._posts.find({"_id": {"$in": list(post_ids)}}, {OUTBOX_FIELD: 0})
        return {document["_id"]: _stored_post(document) async for document in cursor}

    async def reply_ids_by(self, user_id: str) -> list[str]:
        cursor = self._posts.find(
            {"author_id": user_id, "reply_to": {"$type": "string"}}, {"_id": 1}
        )
        return [document["_id"] async for document in cursor]


def _approved_remixes_of(original_id: str | Document) -> Document:
    return {
        "remix_of.original_id": original_id,
        "remix_of.status": "approved",
        "status": "published",
    }


class InviteCounterRepository:
    """Invites sent per user per hour: one document per user and hour, counted with $inc."""

    def __init__(self, db: Database) -> None:
        self._counters = db[INVITE_COUNTERS]

    async def add(self, user_id: str, window_start: datetime, count: int) -> int:
        """Count `count` more invites in the window; returns the window's total after that."""
        document = await increment(
            self._counters,
            _counter_id(user_id, window_start),
            {"count": count},
            {"user_id": user_id, "expires_at": window_start + INVITE_WINDOW},
        )
        return int(document["count"])

    async def give_back(self, user_id: str, window_start: datetime, count: int) -> None:
        """Refused invites do not use up the budget."""
        await self._counters.update_one(
            {"_id": _counter_id(user_id, window_start)}, {"$inc": {"count": -count}}
        )


def _snapshots_kept(post: Post, snapshots: dict[str, PublicUser]) -> list[PublicUser]:
    """One profile per account still on the post: invited and revoked again and again, an
    account leaves no trail of copies in the document."""
    on_post = {post.author_id, *(coauthor.user_id for coauthor in post.coauthors)}
    return [snapshot for user_id, snapshot in snapshots.items() if user_id in on_post]


def _is_noop(current: Post, change: Change) -> bool:
    return change.post == current and not change.events


def _counter_id(user_id: str, window_start: datetime) -> str:
    return f"{user_id}:{window_start:%Y%m%d%H}"


def _post_fields(post: Post) -> Document:
    """The fields a transition may change (author, text, mode and creation time never do)."""
    return {
        "status": post.status,
        "published_at": post.published_at,
        "deleted_at": post.deleted_at,
        "coauthors": [_coauthor_document(c) for c in post.coauthors],
        "former_coauthor_ids": list(post.former_coauthor_ids),
        "version": post.version,
        "remix_of": asdict(post.remix_of) if post.remix_of else None,
    }


def _remix_link(document: Document | None) -> RemixLink | None:
    return RemixLink(**document) if document else None


def _coauthor_document(coauthor: Coauthor) -> Document:
    return {
        "user_id": coauthor.user_id,
        "invitation_id": coauthor.invitation_id,
        "status": coauthor.status,
        "invited_at": coauthor.invited_at,
        "accepted_at": coauthor.accepted_at,
    }


def _stored_post(document: Document) -> StoredPost:
    post = Post(
        id=document["_id"],
        author_id=document["author_id"],
        text=document["text"],
        publish_mode=document["publish_mode"],
        status=document["status"],
        created_at=document["created_at"],
        published_at=document.get("published_at"),
        deleted_at=document.get("deleted_at"),
        coauthors=tuple(
            Coauthor(
                user_id=c["user_id"],
                invitation_id=c["invitation_id"],
                status=c["status"],
                invited_at=c["invited_at"],
                accepted_at=c.get("accepted_at"),
            )
            for c in document.get("coauthors", [])
        ),
        former_coauthor_ids=tuple(document.get("former_coauthor_ids", ())),
        version=document.get("version", 0),
        remix_of=_remix_link(document.get("remix_of")),
        reply_to=document.get("reply_to"),
    )
    counts = Counts(
        document.get("like_count", 0),
        document.get("reply_count", 0),
        document.get("counts_version") or 0,
    )
    snapshots = {s["id"]: PublicUser.model_validate(s) for s in document.get("user_snapshots", [])}
    return StoredPost(post, snapshots, counts)
