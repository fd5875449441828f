"""What the insights are computed from: whom each post reached through each credited author
(`post_reach`), and the post each follow was made from (`follow_attributions`).

- `post_reach`: written in chunks of follower ids when the post was published or the author
  credited (never by a later follow's backfill), each chunk a document named by what it holds,
  inserted once (a redelivery's identical chunks are duplicate keys; a different one adds
  documents), and read back as the union of the post's chunks. Documents of the earlier
  naming (`<post>:<author>:<index>`, added to with `$addToSet`, whose cost grew with the square
  of a chunk on the embedded server) read the same way;
- `follow_attributions`: the newest event of a (follower, followee) pair wins.
"""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import batched

from pymongo import InsertOne
from pymongo.errors import BulkWriteError

from shared.mongo import Database, Document, IndexSpec
from timeline.core.repository import raise_unless_only_duplicate_keys, upsert_if_newer

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
        """Whom each author's delivery reached: one command, however many followers, each
        document written once whole (no array searched), so its cost is linear in them.

        A redelivered event's chunks are the same documents when it reached the same
        followers, and new ones with whoever else it reached: the reads take the union, so
        nobody is counted twice."""
        writes = [
            InsertOne(
                {
                    "_id": _chunk_id(post_id, author_id, chunk),
                    "post_id": post_id,
                    "author_id": author_id,
                    "followers": list(chunk),
                }
            )
            for author_id, followers in followers_by_author.items()
            for chunk in batched(followers, REACH_CHUNK, strict=False)
        ]
        if writes:
            try:
                await self._reach.bulk_write(writes, ordered=False)
            except BulkWriteError as exc:  # chunks a delivery before this one wrote
                raise_unless_only_duplicate_keys(exc)

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


def _chunk_id(post_id: str, author_id: str, followers: Sequence[str]) -> str:
    """A chunk's name, from what it holds: the same chunk delivered again is a duplicate."""
    digest = hashlib.blake2b("\n".join(followers).encode(), digest_size=12).hexdigest()
    return f"{post_id}:{author_id}:{digest}"
