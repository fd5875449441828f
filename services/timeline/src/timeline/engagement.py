"""The timeline's engagement projections (issue 12) and the insights read from them.

- each post's like and reply counts, kept on its card (`repository.PostCardRepository`), the
  highest version announced wins (`post_counts` held them before: moved at start-up);
- `like_replica`: who likes which post (for `liked_by_me` and likes from each audience),
  the newest `like_seq` of a (post, liker) pair wins;
- `post_reach`: whom each post was delivered to through each credited author, written in
  chunks of follower ids when the post was published or the author credited (never by a
  later follow's backfill);
- `follow_attributions`: the post a follow was made from (`via_post`), the newest event of
  a (follower, followee) pair wins;
- the mute replica (shared.relations): whose posts leave a viewer's home timeline.

Every write is an upsert guarded by a version or a time, or an idempotent `$addToSet`, so
duplicated and reordered events leave the same state.
"""

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.events.posts import (
    PostCounts,
    PostDeleted,
    PostLiked,
    PostReplied,
    PostReplyRemoved,
    PostUnliked,
)
from shared.events.users import UserFollowed, UserUnfollowed
from shared.mongo import Database, Document, IndexSpec
from shared.relations import MUTE_REPLICA, relation_replica_indexes
from shared.subscriptions import Delivery
from timeline import domain
from timeline.repository import PostCardRepository

# Where the counts were kept before they were kept on the cards.
POST_COUNTS = "post_counts"
LIKE_REPLICA = "like_replica"
POST_REACH = "post_reach"
FOLLOW_ATTRIBUTIONS = "follow_attributions"
# Follower ids per reach document (about 34 KB of ids).
REACH_CHUNK = 1_000
# Posts whose counts are moved onto their cards per command, once.
COUNTS_MOVE_BATCH = 500

ENGAGEMENT_INDEXES = [
    IndexSpec(LIKE_REPLICA, [("post_id", 1), ("active", 1)]),
    IndexSpec(POST_REACH, [("post_id", 1)]),
    IndexSpec(FOLLOW_ATTRIBUTIONS, [("via_post", 1), ("active", 1)]),
    *relation_replica_indexes(MUTE_REPLICA),
]


class EngagementRepository:
    def __init__(self, db: Database) -> None:
        self._cards = PostCardRepository(db)
        self._legacy_counts = db[POST_COUNTS]
        self._likes = db[LIKE_REPLICA]
        self._reach = db[POST_REACH]
        self._attributions = db[FOLLOW_ATTRIBUTIONS]

    # -- writing -----------------------------------------------------------------------

    async def record_counts_of(
        self, delivery: Delivery[PostLiked | PostUnliked | PostReplied | PostReplyRemoved]
    ) -> None:
        data = delivery.event
        await self.record_counts(data.post_id, data.counts)

    async def record_counts(self, post_id: str, counts: PostCounts) -> None:
        await self._cards.record_counts(post_id, counts)

    async def move_counts_to_cards(self) -> None:
        """Put the counts kept in `post_counts` on the cards, then drop it (a migration)."""
        batch: dict[str, PostCounts] = {}
        async for document in self._legacy_counts.find():
            batch[document["_id"]] = PostCounts(
                like_count=int(document.get("like_count", 0)),
                reply_count=int(document.get("reply_count", 0)),
                version=int(document["version"]),
            )
            if len(batch) == COUNTS_MOVE_BATCH:
                await self._cards.record_many_counts(batch)
                batch = {}
        await self._cards.record_many_counts(batch)
        await self._legacy_counts.drop()

    async def record_like(self, delivery: Delivery[PostLiked | PostUnliked]) -> None:
        data = delivery.event
        await _upsert_if_newer(
            self._likes,
            f"{data.post_id}:{data.liker_id}",
            "like_seq",
            data.like_seq,
            {
                "post_id": data.post_id,
                "user_id": data.liker_id,
                "active": isinstance(data, PostLiked),
            },
        )

    async def record_attribution(self, delivery: Delivery[UserFollowed | UserUnfollowed]) -> None:
        data = delivery.event
        followed = isinstance(data, UserFollowed)
        fields: Document = {
            "follower_id": data.follower_id,
            "followee_id": data.followee_id,
            "active": followed,
        }
        if isinstance(data, UserFollowed):
            fields["via_post"] = data.via_post
            as_of = data.followed_at
        else:
            as_of = data.unfollowed_at
        await _upsert_if_newer(
            self._attributions, f"{data.follower_id}:{data.followee_id}", "as_of", as_of, fields
        )

    async def record_reach(
        self, post_id: str, followers_by_author: Mapping[str, Iterable[str]]
    ) -> None:
        """Whom each author's delivery reached: one command, however many followers.

        Chunks of follower ids per (post, author), each added to with `$addToSet`, so a
        redelivered event adds whoever it reached too and never counts anyone twice."""
        writes = [
            UpdateOne(
                {"_id": f"{post_id}:{author_id}:{index}"},
                {
                    "$setOnInsert": {"post_id": post_id, "author_id": author_id},
                    "$addToSet": {"followers": {"$each": chunk}},
                },
                upsert=True,
            )
            for author_id, followers in followers_by_author.items()
            for index, chunk in enumerate(domain.batches(list(followers), REACH_CHUNK))
        ]
        if writes:
            await self._reach.bulk_write(writes, ordered=False)

    async def forget_post(self, delivery: Delivery[PostDeleted]) -> None:
        data = delivery.event
        await self._cards.forget_counts(data.post_id)
        await self._likes.delete_many({"post_id": data.post_id})

    # -- reading -----------------------------------------------------------------------

    async def liked_among(self, user_id: str, post_ids: Sequence[str]) -> set[str]:
        ids = [f"{post_id}:{user_id}" for post_id in post_ids]
        cursor = self._likes.find({"_id": {"$in": ids}, "active": True}, {"post_id": 1})
        return {doc["post_id"] async for doc in cursor}

    async def likers_of(self, post_id: str) -> set[str]:
        cursor = self._likes.find({"post_id": post_id, "active": True}, {"user_id": 1})
        return {doc["user_id"] async for doc in cursor}

    async def reach_of(self, post_id: str) -> dict[str, set[str]]:
        """Each account the post was delivered to, and the authors it was reached through."""
        reach: dict[str, set[str]] = {}
        async for chunk in self._reach.find({"post_id": post_id}):
            for follower_id in chunk.get("followers", ()):
                reach.setdefault(follower_id, set()).add(chunk["author_id"])
        return reach

    async def follows_from(self, post_id: str) -> list[tuple[str, str]]:
        """(follower, followee) of the follows made from this post and still on."""
        cursor = self._attributions.find({"via_post": post_id, "active": True})
        return [(doc["follower_id"], doc["followee_id"]) async for doc in cursor]


async def _upsert_if_newer(
    collection: AsyncCollection[Document],
    document_id: str,
    version_field: str,
    version: Any,
    fields: Document,
) -> None:
    """Write `fields` unless the stored document has this version or a newer one."""
    with contextlib.suppress(DuplicateKeyError):  # a newer state is stored
        await collection.update_one(
            {"_id": document_id, version_field: {"$lt": version}},
            {"$set": {**fields, version_field: version}},
            upsert=True,
        )
