"""What the timeline keeps of posts' engagement: who likes which post (`like_replica`, for
`liked_by_me` and the likes from each author's audience; the newest `like_seq` of a (post,
liker) pair wins), and each post's like and reply counts, kept on its card (the highest
version announced wins; `post_counts` held them before: moved at start-up).
"""

from collections.abc import Sequence

from shared.events.posts import PostCounts
from shared.mongo import Database, IndexSpec
from timeline.core.repository import PostCardRepository, upsert_if_newer

# Where the counts were kept before they were kept on the cards.
POST_COUNTS = "post_counts"
LIKE_REPLICA = "like_replica"
# Posts whose counts are moved onto their cards per command, once.
COUNTS_MOVE_BATCH = 500

LIKE_INDEXES = [IndexSpec(LIKE_REPLICA, [("post_id", 1), ("active", 1)])]


class LikeRepository:
    def __init__(self, db: Database) -> None:
        self._likes = db[LIKE_REPLICA]

    async def record(self, post_id: str, liker_id: str, *, active: bool, like_seq: int) -> None:
        await upsert_if_newer(
            self._likes,
            f"{post_id}:{liker_id}",
            "like_seq",
            like_seq,
            {"post_id": post_id, "user_id": liker_id, "active": active},
        )

    async def forget_post(self, post_id: str) -> None:
        await self._likes.delete_many({"post_id": post_id})

    async def liked_among(self, user_id: str, post_ids: Sequence[str]) -> set[str]:
        ids = [f"{post_id}:{user_id}" for post_id in post_ids]
        cursor = self._likes.find({"_id": {"$in": ids}, "active": True}, {"post_id": 1})
        return {doc["post_id"] async for doc in cursor}

    async def likers_of(self, post_id: str) -> set[str]:
        cursor = self._likes.find({"post_id": post_id, "active": True}, {"user_id": 1})
        return {doc["user_id"] async for doc in cursor}


async def move_counts_to_cards(db: Database) -> None:
    """Put the counts kept in `post_counts` on the cards, then drop it (a migration)."""
    cards, legacy_counts = PostCardRepository(db), db[POST_COUNTS]
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
