"""What the timeline keeps of posts' engagement: who likes which post (`like_replica`, for
`liked_by_me` and the likes from each author's audience; the newest `like_seq` of a (post,
liker) pair wins), and each post's like and reply counts, kept on its card (the highest
version announced wins; `post_counts` held them before: moved at start-up).

The posts each reader likes are also kept in Redis (one set per reader, `liked_by_me`): a like
or an unlike deletes the liker's set after its MongoDB write, the next page reads it again. A
deleted post's likes stay in its likers' sets until they expire: a deleted post is never shown.
"""

from shared.events.posts import PostCounts
from shared.mongo import Database, IndexSpec
from shared.read_cache import CachedSets, SetRead
from timeline.core.repository import PostCardRepository, upsert_if_newer

# Where the counts were kept before they were kept on the cards.
POST_COUNTS = "post_counts"
LIKE_REPLICA = "like_replica"
# Posts whose counts are moved onto their cards per command, once.
COUNTS_MOVE_BATCH = 500

LIKE_INDEXES = [
    IndexSpec(LIKE_REPLICA, [("post_id", 1), ("active", 1)]),
    IndexSpec(LIKE_REPLICA, [("user_id", 1), ("active", 1)]),
]


class LikeRepository:
    def __init__(self, db: Database, liked_by_reader: CachedSets | None = None) -> None:
        self._likes = db[LIKE_REPLICA]
        self._liked_by_reader = liked_by_reader

    async def record(self, post_id: str, liker_id: str, *, active: bool, like_seq: int) -> None:
        await upsert_if_newer(
            self._likes,
            f"{post_id}:{liker_id}",
            "like_seq",
            like_seq,
            {"post_id": post_id, "user_id": liker_id, "active": active},
        )
        if self._liked_by_reader is not None:
            await self._liked_by_reader.invalidate([liker_id])

    async def forget_post(self, post_id: str) -> None:
        await self._likes.delete_many({"post_id": post_id})

    def liked_by(self, user_id: str) -> SetRead:
        """Every post the user likes, to read with other sets in one round trip (`read_sets`)."""
        return SetRead(self._liked_by_reader, user_id, self._stored_liked_by)

    async def _stored_liked_by(self, user_id: str) -> set[str]:
        cursor = self._likes.find({"user_id": user_id, "active": True}, {"post_id": 1})
        return {doc["post_id"] async for doc in cursor}

    async def likers_of(self, post_id: str) -> set[str]:
        cursor = self._likes.find({"post_id": post_id, "active": True}, {"user_id": 1})
        return {doc["user_id"] async for doc in cursor}


async def move_counts_to_cards(db: Database, cards: PostCardRepository) -> None:
    """Put the counts kept in `post_counts` on the cards, then drop it (a migration)."""
    legacy_counts = db[POST_COUNTS]
    batch: dict[str, PostCounts] = {}
    async for document in legacy_counts.find():
        batch[document["_id"]] = PostCounts(
            like_count=int(document.get("like_count", 0)),
            reply_count=int(document.get("reply_count", 0)),
            version=int(document["version"]),
        )
        if len(batch) == COUNTS_MOVE_BATCH:
            await cards.record_many_counts(batch)
            batch = {}
    await cards.record_many_counts(batch)
    await legacy_counts.drop()
