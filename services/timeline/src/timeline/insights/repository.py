"""What the insights are computed from: whom each post reached through each credited author
(`post_reach`); the post each follow was made from is kept in its edge (`follows`'
`via_post`, written with the edge: `timeline.fanout.repository`).

- `post_reach`: written in chunks of follower ids when the post was published or the author
  credited (never by a later follow's backfill), each chunk a document named by what it holds,
  inserted once (a redelivery's identical chunks are duplicate keys; a different one adds
  documents), and read back as the union of the post's chunks. Documents of the earlier
  naming (`<post>:<author>:<index>`, added to with `$addToSet`, whose cost grew with the square
  of a chunk on the embedded server) read the same way.

Earlier versions kept each follow's post in a second document per edge
(`follow_attributions`, one more write per follow): moved into the edges at start-up
(`move_attributions_to_edges`).
"""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from itertools import batched

from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError

from shared.mongo import Database, IndexSpec
from timeline.core.repository import raise_unless_only_duplicate_keys
from timeline.fanout.repository import FOLLOWS

POST_REACH = "post_reach"
RETIRED_ATTRIBUTIONS = "follow_attributions"
# Follower ids per reach document (about 34 KB of ids).
REACH_CHUNK = 1_000
# Edges given their post per command when the old attributions move into them.
MIGRATION_BATCH = 500

INSIGHTS_INDEXES = [IndexSpec(POST_REACH, [("post_id", 1)])]


class InsightsRepository:
    def __init__(self, db: Database) -> None:
        self._reach = db[POST_REACH]

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

    async def reach_of(self, post_id: str) -> dict[str, set[str]]:
        """Each account the post was delivered to, and the authors it was reached through."""
        reach: dict[str, set[str]] = {}
        async for chunk in self._reach.find({"post_id": post_id}):
            for follower_id in chunk.get("followers", ()):
                reach.setdefault(follower_id, set()).add(chunk["author_id"])
        return reach


async def move_attributions_to_edges(db: Database) -> None:
    """Each follow's post, kept before in `follow_attributions`, set on its edge where the
    edge holds the same event (same time); a newer edge state made its own, and an event the
    edge has not seen yet sets it when it is handled. Then the old documents are dropped.
    Idempotent: run again, it sets the same fields."""
    attributions = db[RETIRED_ATTRIBUTIONS]
    writes = [
        UpdateOne(
            {"_id": doc["_id"], "as_of": doc["as_of"]}, {"$set": {"via_post": doc["via_post"]}}
        )
        async for doc in attributions.find({"via_post": {"$ne": None}})
    ]
    for batch in batched(writes, MIGRATION_BATCH, strict=False):
        await db[FOLLOWS].bulk_write(list(batch), ordered=False)
    await attributions.drop()


def _chunk_id(post_id: str, author_id: str, followers: Sequence[str]) -> str:
    """A chunk's name, from what it holds: the same chunk delivered again is a duplicate."""
    digest = hashlib.blake2b("\n".join(followers).encode(), digest_size=12).hexdigest()
    return f"{post_id}:{author_id}:{digest}"
