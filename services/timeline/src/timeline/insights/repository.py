"""What the insights are computed from: whom each post reached through each credited author
(`post_reach`), and the post each follow was made from (`follow_attributions`).

- `post_reach`: written in chunks of follower ids when the post was published or the author
  credited (never by a later follow's backfill), each added to with `$addToSet`;
- `follow_attributions`: the newest event of a (follower, followee) pair wins.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from itertools import batched

from pymongo import UpdateOne

from shared.mongo import Database, Document, IndexSpec
from timeline.core.repository import upsert_if_newer

POST_REACH = "post_reach"
FOLLOW_ATTRIBUTIONS = "follow_attributions"
# Follower ids per reach document (about 34 KB of ids).
REACH_CHUNK = 1_000

INSIGHTS_INDEXES = [
    IndexSpec(POST_REACH, [("post_id", 1)]),
    IndexSpec(FOLLOW_ATTRIBUTIONS, [("via_post", 1), ("active", 1)]),
]


class InsightsRepository:
    def __init__(self, db: Database) -> None:
        self._reach = db[POST_REACH]
        self._attributions = db[FOLLOW_ATTRIBUTIONS]

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
                    "$addToSet": {"followers": {"$each": list(chunk)}},
                },
                upsert=True,
            )
            for author_id, followers in followers_by_author.items()
            for index, chunk in enumerate(batched(followers, REACH_CHUNK, strict=False))
        ]
        if writes:
            await self._reach.bulk_write(writes, ordered=False)

    async def record_attribution(
        self,
        follower_id: str,
        followee_id: str,
        *,
        active: bool,
        as_of: datetime,
        via_post: str | None = None,
    ) -> None:
        """A follow made (from `via_post`, if any) or ended; an ended one keeps its post."""
        fields: Document = {
            "follower_id": follower_id,
            "followee_id": followee_id,
            "active": active,
        }
        if active:
            fields["via_post"] = via_post
        await upsert_if_newer(
            self._attributions, f"{follower_id}:{followee_id}", "as_of", as_of, fields
        )

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
