"""What fan-out writes: the follower replica and the profile and home entries.

Collections:
- `follows`: `_id` "{follower}:{followee}", `active`, `as_of` (the event time; an older event
  never overwrites a newer one), `followee_celebrity` (so a reader finds the celebrities
  it follows with one indexed query) and `via_post`, the post the follow was made from, for
  the insights (absent when none: its index is sparse; an ended follow keeps it, a follow
  made again without one drops it);
- `follower_counts`: `_id` author, `followers` (one added or taken by each follow change, and
  recounted from `follows` near the celebrity threshold, for a redelivered event, which is
  how a crash between the edge's write and the count's heals, and for deleted accounts),
  `celebrity` (its posts are not fanned out) and `merged_at_read` (its edges are flagged;
  absent in documents older than the field: then equal to `celebrity`);
- `profile_entries`: `_id` "{user}:{post}", one per author and credited co-author.

Profiles are kept in Redis too (`FeedCache`), written after MongoDB and read first. Home
timelines are kept in Redis only: MongoDB holds no entry per follower. A home feed is defined
by what MongoDB does hold, the owner's active follow edges and the followees' profile entries
(less posts authored by an account in a block with the owner), so the fan-out of a post is
one profile entry per author in MongoDB plus one `ZADD` per follower's feed in Redis, and a
feed Redis lacks (or a page past what it keeps) is pulled from those profiles, as celebrities'
posts always were. Writing one entry per follower to the embedded, single-threaded server
was most of a large fan-out's time (10 000 followers: 20 bulk writes, 10 000 documents, 30 s
and more). Whatever changes what a feed pulls (a follow, an unfollow, a block, a co-author
gone, a demotion, a deleted account) deletes the feeds it touches after its MongoDB write, so
they are pulled again. So are the celebrities each reader follows (`CachedSets`): every write
to an edge deletes its follower's set after it.
"""

import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import batched

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from shared.home_updates import announce_home_update
from shared.mongo import Database, Document, IndexSpec
from shared.read_cache import CachedSets, SetRead
from shared.redis_store import RedisClient
from shared.relations import BLOCK_REPLICA, RelationReplica
from timeline.core.feed_cache import Feed, FeedCache, FeedKind, FeedPagesRead
from timeline.core.rules import PostCard, TimelinePosition
from timeline.fanout.rules import CelebrityFlags

FOLLOWS = "follows"
FOLLOWER_COUNTS = "follower_counts"
PROFILE_ENTRIES = "profile_entries"
# What earlier versions kept per follower in MongoDB; dropped at start-up.
RETIRED_COLLECTIONS = ("home_entries", "home_growth")
# Entries keep their TimelinePosition's sort key: newest first is one descending field.
POSITION = "position"
NEWEST_FIRST = [(POSITION, -1)]
POSITION_FIELDS = {"published_at": 1, "post_id": 1}
# Entries written before positions were stored get theirs at start-up, this many per command.
POSITION_BACKFILL_BATCH = 500
# Follower ids per reply: one reply holds 100 000 (about 4 MB), so one command reads them.
FOLLOWER_READ_BATCH = 100_000
# Home feeds deleted per Redis command when many change at once (a co-author's followers).
HOME_INVALIDATION_BATCH = 1_000

FAN_OUT_INDEXES = [
    IndexSpec(FOLLOWS, [("followee_id", 1), ("active", 1)]),
    IndexSpec(FOLLOWS, [("follower_id", 1), ("active", 1), ("followee_celebrity", 1)]),
    IndexSpec(FOLLOWS, [("via_post", 1)], {"sparse": True}),
    IndexSpec(PROFILE_ENTRIES, [("owner_id", 1), *NEWEST_FIRST]),
    IndexSpec(PROFILE_ENTRIES, [("post_id", 1)]),
]


_FLAG_FIELDS = {"celebrity": 1, "merged_at_read": 1}


def _flags(document: Document) -> CelebrityFlags:
    celebrity = bool(document.get("celebrity"))
    return CelebrityFlags(
        skips_fan_out=celebrity, merged_at_read=bool(document.get("merged_at_read", celebrity))
    )


def _after(position: TimelinePosition | None) -> Document:
    """Entries strictly older than the position, in the newest-first order."""
    return {} if position is None else {POSITION: {"$lt": position.sort_key}}


def _position(document: Document) -> TimelinePosition:
    return TimelinePosition(document["published_at"], document["post_id"])


# -- the follower replica -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowUpdate:
    """What recording a follow state did: `applied` unless a newer event already won."""

    applied: bool
    changed: bool


class FollowRepository:
    def __init__(self, db: Database, celebrities_followed: CachedSets | None = None) -> None:
        self._follows = db[FOLLOWS]
        self._counts = db[FOLLOWER_COUNTS]
        self._celebrities_followed = celebrities_followed

    async def record(
        self,
        follower_id: str,
        followee_id: str,
        *,
        active: bool,
        as_of: datetime,
        via_post: str | None = None,
    ) -> FollowUpdate:
        """Store the edge's state unless a newer one is stored (same time: applied again).

        A follow made from a post (`via_post`) keeps it in the edge, for the insights, in the
        same write: no second document per follow.

        An ended edge is unflagged; a new one starts unflagged and an existing one keeps the
        flag promotions and demotions keep on every edge of the followee: the caller flags it
        after the write when the followee is merged at read (`flag_edge`), which a flag read
        here, before the write, would not spare (a promotion may run in between).
        """
        edge_id = f"{follower_id}:{followee_id}"
        state: Document = {
            "follower_id": follower_id,
            "followee_id": followee_id,
            "active": active,
            "as_of": as_of,
        }
        if active and via_post is not None:
            state["via_post"] = via_post
        applied, was_active = await self._write_edge(edge_id, state)
        if not applied:
            return FollowUpdate(applied=False, changed=False)
        await self._edges_changed([follower_id])
        return FollowUpdate(applied=True, changed=was_active != active)

    async def _write_edge(self, edge_id: str, state: Document) -> tuple[bool, bool]:
        """Write the edge's state unless a newer one is stored: whether it was written, and
        whether the edge was active before.

        A new edge is one insert. An existing one is read, then written only if it is still
        as read and not newer than `state` (both commands by `_id`); a write that matches
        nothing lost a race (the edge changed: again) or met a newer state (it did not). No
        find-and-modify: SecantusDB answers one that matches a document by scanning the
        collection, and `follows` holds one document per edge.
        """
        unflagged = {**state, "followee_celebrity": False}
        with contextlib.suppress(DuplicateKeyError):
            await self._follows.insert_one({"_id": edge_id, **unflagged})
            return True, False
        # An ended edge is unflagged and keeps its post; an existing active one keeps its flag,
        # and has no post unless this follow was made from one.
        update: Document = {"$set": state if state["active"] else unflagged}
        if state["active"] and "via_post" not in state:
            update["$unset"] = {"via_post": ""}
        fields = {"active": 1, "as_of": 1}
        before = await self._follows.find_one({"_id": edge_id}, fields)
        while before is not None:  # edges are never deleted
            as_read = {"_id": edge_id, "active": before["active"]}
            as_read["as_of"] = {"$eq": before["as_of"], "$lte": state["as_of"]}
            if (await self._follows.update_one(as_read, update)).matched_count == 1:
                return True, bool(before["active"])
            again = await self._follows.find_one({"_id": edge_id}, fields)
            if again == before:
                return False, False
            before = again
        raise RuntimeError(f"follow {edge_id} vanished while written")

    async def follows_from(self, post_id: str) -> list[tuple[str, str]]:
        """(follower, followee) of the follows made from this post and still on."""
        cursor = self._follows.find(
            {"via_post": post_id, "active": True}, {"follower_id": 1, "followee_id": 1}
        )
        return [(doc["follower_id"], doc["followee_id"]) async for doc in cursor]

    async def followers(self, followee_id: str) -> list[str]:
        """Every active follower, streamed in large batches (few getMore round trips)."""
        cursor = self._follows.find(
            {"followee_id": followee_id, "active": True}, {"follower_id": 1, "_id": 0}
        ).batch_size(FOLLOWER_READ_BATCH)
        return [document["follower_id"] async for document in cursor]

    async def follower_batches(self, followee_id: str, size: int) -> AsyncIterator[list[str]]:
        """Every active follower, `size` at a time as the server sends them (one reply each),
        so a fan-out writes the first feeds while the database reads the next followers."""
        cursor = self._follows.find(
            {"followee_id": followee_id, "active": True}, {"follower_id": 1, "_id": 0}
        ).batch_size(size)
        batch: list[str] = []
        async for document in cursor:
            batch.append(document["follower_id"])
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    def followed_celebrities(self, follower_id: str) -> SetRead:
        """The celebrities the follower follows, to read with other sets (`read_sets`)."""
        return SetRead(self._celebrities_followed, follower_id, self._stored_followed_celebrities)

    async def _stored_followed_celebrities(self, follower_id: str) -> set[str]:
        cursor = self._follows.find(
            {"follower_id": follower_id, "active": True, "followee_celebrity": True},
            {"followee_id": 1, "_id": 0},
        )
        return {document["followee_id"] async for document in cursor}

    async def _edges_changed(self, follower_ids: Sequence[str]) -> None:
        """After a write to these followers' edges: their followed celebrities are read again."""
        if self._celebrities_followed is not None:
            await self._celebrities_followed.invalidate(follower_ids)

    async def _edges_to_changed(self, followee_id: str) -> None:
        """After a write to every edge to this followee (edges are never deleted, so every
        follower whose edge it changed is read here)."""
        if self._celebrities_followed is not None:
            followers = await self._follows.distinct("follower_id", {"followee_id": followee_id})
            await self._celebrities_followed.invalidate(followers)

    async def active_followees(self, follower_id: str) -> list[str]:
        cursor = self._follows.find(
            {"follower_id": follower_id, "active": True}, {"followee_id": 1, "_id": 0}
        )
        return [document["followee_id"] async for document in cursor]

    async def deactivate_all(self, user_id: str, as_of: datetime) -> None:
        """End every follow from or to a deleted account, unless newer than the deletion."""
        await self._follows.update_many(
            {
                "$or": [{"follower_id": user_id}, {"followee_id": user_id}],
                "active": True,
                "as_of": {"$lte": as_of},
            },
            {"$set": {"active": False, "as_of": as_of}},
        )
        await self._edges_changed([user_id])
        await self._edges_to_changed(user_id)

    # -- follower counts (they decide who is a celebrity) ------------------------------

    async def count_followers(self, author_ids: Sequence[str]) -> dict[str, int]:
        """Active followers of each author, counted from the replica in one command (one
        author, the common case, a count: on the embedded server half an aggregation's cost)."""
        if len(author_ids) == 1:
            filter_ = {"followee_id": author_ids[0], "active": True}
            return {author_ids[0]: await self._follows.count_documents(filter_)}
        cursor = await self._follows.aggregate(
            [
                {"$match": {"followee_id": {"$in": list(author_ids)}, "active": True}},
                {"$group": {"_id": "$followee_id", "followers": {"$sum": 1}}},
            ]
        )
        counted = {document["_id"]: int(document["followers"]) async for document in cursor}
        return {author_id: counted.get(author_id, 0) for author_id in author_ids}

    async def store_counts(self, counts: Mapping[str, int]) -> dict[str, CelebrityFlags]:
        """Store fresh counts and return each author's flags, read after the count."""
        if not counts:
            return {}
        if len(counts) == 1:
            [(author_id, followers)] = counts.items()
            document = await self._counts.find_one_and_update(
                {"_id": author_id},
                {"$set": {"followers": followers}, "$setOnInsert": {"celebrity": False}},
                _FLAG_FIELDS,
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            return {author_id: _flags(document or {})}
        await self._counts.bulk_write(
            [
                UpdateOne(
                    {"_id": author_id},
                    {"$set": {"followers": followers}, "$setOnInsert": {"celebrity": False}},
                    upsert=True,
                )
                for author_id, followers in counts.items()
            ],
            ordered=False,
        )
        cursor = self._counts.find({"_id": {"$in": list(counts)}}, _FLAG_FIELDS)
        return {document["_id"]: _flags(document) async for document in cursor}

    async def add_follower_below(self, author_id: str, change: int, limit: int) -> bool:
        """Add `change` to the author's stored count in one write, if it stays in [0, `limit`)
        and neither flag is set: whether it did (then nothing is to be recounted or flagged,
        and no read of the count is needed). The filter is checked on the `_id`'s document.
        An author's first follower creates the count in the same write."""
        low, high = max(0, -change), limit - change
        if high <= low:
            return False
        unflagged_in_range = {
            "_id": author_id,
            "followers": {"$gte": low, "$lt": high},
            "celebrity": {"$ne": True},
            "merged_at_read": {"$ne": True},
        }
        inc = {"$inc": {"followers": change}, "$setOnInsert": {"celebrity": False}}
        try:
            # Out of range or flagged, the filter misses and the upsert collides on `_id`.
            result = await self._counts.update_one(unflagged_in_range, inc, upsert=change > 0)
        except DuplicateKeyError:
            return False
        return result.matched_count == 1 or result.upserted_id is not None

    async def add_follower(self, author_id: str, change: int) -> tuple[int, CelebrityFlags]:
        """Add `change` (1 or -1) to the author's stored count: the count and flags after it.

        An update, then a read: the embedded server answers a find-and-modify of an existing
        document by scanning the whole collection (it re-checks the query beside the `_id`,
        which its planner cannot index), one document per author. A concurrent change may
        land in between, which the count's slack allows (`needs_recount`).
        """
        inc = {"$inc": {"followers": change}}
        if (await self._counts.update_one({"_id": author_id}, inc)).matched_count == 0:
            with contextlib.suppress(DuplicateKeyError):  # created first by a concurrent change
                await self._counts.insert_one(
                    {"_id": author_id, "followers": 0, "celebrity": False}
                )
            await self._counts.update_one({"_id": author_id}, inc)
        document = await self._counts.find_one({"_id": author_id}, {"followers": 1, **_FLAG_FIELDS})
        assert document is not None  # written above; counts are never deleted
        return int(document["followers"]), _flags(document)

    async def flags_of(self, author_id: str) -> CelebrityFlags:
        document = await self._counts.find_one({"_id": author_id}, _FLAG_FIELDS)
        return _flags(document or {})

    async def forget_followers(self, author_id: str) -> None:
        await self._counts.update_one(
            {"_id": author_id},
            {"$set": {"followers": 0, "celebrity": False, "merged_at_read": False}},
        )

    async def mark_skips_fan_out(self, author_id: str, celebrity: bool) -> None:
        await self._counts.update_one({"_id": author_id}, {"$set": {"celebrity": celebrity}})

    async def mark_merged_at_read(self, author_id: str, merged: bool) -> None:
        await self._counts.update_one({"_id": author_id}, {"$set": {"merged_at_read": merged}})

    async def flag_edges(self, author_id: str, celebrity: bool) -> None:
        """Flag every follow edge of the author (rare: a threshold crossed)."""
        await self._follows.update_many(
            {"followee_id": author_id}, {"$set": {"followee_celebrity": celebrity}}
        )
        await self._edges_to_changed(author_id)

    async def flag_edge(self, follower_id: str, followee_id: str) -> None:
        """Flag one follow edge, if still active, as leading to a celebrity."""
        await self._follows.update_one(
            {"_id": f"{follower_id}:{followee_id}", "active": True},
            {"$set": {"followee_celebrity": True}},
        )
        await self._edges_changed([follower_id])

    async def celebrities_among(self, author_ids: Sequence[str]) -> set[str]:
        cursor = self._counts.find(
            {"_id": {"$in": list(author_ids)}, "celebrity": True}, {"_id": 1}
        )
        return {document["_id"] async for document in cursor}


# -- profile and home entries ----------------------------------------------------------


class EntryRepository:
    """Profile entries in MongoDB and Redis; home feeds in Redis only, pulled from MongoDB.

    A home feed is what the owner's followees have on their profiles (see the module's
    docstring): the fan-out adds a post to the feeds Redis holds, and a feed Redis lacks, or a
    page past what it keeps, is pulled from the profile entries of the followees.
    """

    def __init__(self, db: Database, feeds: FeedCache | None = None) -> None:
        self._profiles = db[PROFILE_ENTRIES]
        self._follows = FollowRepository(db)
        self._blocks = RelationReplica(db, BLOCK_REPLICA)
        self._feeds = feeds

    async def store_positions(self) -> None:
        """Give the entries written before positions were stored theirs (a migration)."""
        unpositioned = {POSITION: {"$exists": False}}
        while batch := await self._profiles.find(unpositioned, POSITION_FIELDS).to_list(
            POSITION_BACKFILL_BATCH
        ):
            positions = [
                UpdateOne({"_id": entry["_id"]}, {"$set": {POSITION: _position(entry).sort_key}})
                for entry in batch
            ]
            await self._profiles.bulk_write(positions, ordered=False)

    # profile entries

    async def put_on_profiles(self, card: PostCard, user_ids: Sequence[str]) -> None:
        if user_ids:
            fields = _entry_fields(card)
            await self._profiles.bulk_write(
                [
                    UpdateOne(
                        {"_id": f"{user_id}:{card.post_id}"},
                        {"$setOnInsert": {"owner_id": user_id, **fields}},
                        upsert=True,
                    )
                    for user_id in user_ids
                ],
                ordered=False,
            )
            await self._cache_add(
                "profile", ((user_id, _card_position(card)) for user_id in user_ids)
            )

    async def take_off_profile(self, user_id: str, post_id: str) -> None:
        await self._profiles.delete_one({"_id": f"{user_id}:{post_id}"})
        await self._invalidate("profile", [user_id])

    async def rename_author(self, post_id: str, author_id: str) -> None:
        """A hand-over: the post's entries name its new author (blocks exclude by it)."""
        await self._profiles.update_many({"post_id": post_id}, {"$set": {"author_id": author_id}})

    async def purge_post(self, post_id: str) -> None:
        """Home feeds keep the entry until trimmed: readers skip posts without a card."""
        profiles = await self._profiles.distinct("owner_id", {"post_id": post_id})
        await self._profiles.delete_many({"post_id": post_id})
        await self._invalidate("profile", profiles)

    async def purge_account(self, user_id: str, followers: Sequence[str]) -> None:
        """A deleted account: its profile, its posts on others', and the home feeds of its
        `followers` (read before its edges ended), which held its posts."""
        await self._profiles.delete_many({"$or": [{"owner_id": user_id}, {"author_id": user_id}]})
        await self.invalidate_homes([user_id, *followers])
        await self._invalidate("profile", [user_id])

    # home feeds

    async def deliver(self, card: PostCard, owner_ids: Sequence[str]) -> None:
        """Add the post to these owners' home feeds that Redis holds (one script call); a
        feed it lacks is pulled, with the post, from the profile entries when next read."""
        await self._cache_add("home", ((owner, _card_position(card)) for owner in owner_ids))

    async def invalidate_homes(self, owner_ids: Sequence[str]) -> None:
        """After a change to what these owners' home feeds pull from (follows, profile
        entries, blocks): each is pulled again when next read. In batches of
        HOME_INVALIDATION_BATCH keys per command."""
        for batch in batched(owner_ids, HOME_INVALIDATION_BATCH, strict=False):
            await self._invalidate("home", batch)

    # reads

    async def feed_pages(
        self,
        feeds: Sequence[Feed],
        after: TimelinePosition | None,
        limit: int,
        *,
        read_before: FeedPagesRead | None = None,
    ) -> list[list[TimelinePosition]]:
        """Up to `limit` newest-first distinct positions after `after` from each feed: from
        Redis in one round trip; a feed Redis lacks from MongoDB (and rebuilt in Redis).
        `read_before`: pages of some of these feeds (same `after` and `limit`) read from Redis
        already (`pages_read`): only the others are read."""
        found = dict(read_before.found) if read_before is not None else {}
        assert read_before is None or (read_before.after, read_before.limit) == (after, limit)
        rest = [feed for feed in feeds if feed not in found]
        cached = await self._feeds.pages(rest, after, limit) if self._feeds and rest else None
        if cached is not None:
            found.update(zip(rest, cached, strict=True))
        pages = []
        for feed in feeds:
            kind, owner_id = feed
            page = found.get(feed, "older")
            if isinstance(page, list):
                pages.append(page)
            elif page == "missing":
                pages.append(await self._rebuild(kind, owner_id, after, limit))
            else:
                pages.append(await self._stored_positions(kind, owner_id, after, limit))
        return pages

    async def pages_read(
        self, feeds: Sequence[Feed], after: TimelinePosition | None, limit: int
    ) -> FeedPagesRead | None:
        """`feed_pages`' read of Redis, to send in another's round trip (then pass it as
        `read_before`); None without a usable Redis."""
        return await self._feeds.pages_read(feeds, after, limit) if self._feeds else None

    async def _rebuild(
        self, kind: FeedKind, owner_id: str, after: TimelinePosition | None, limit: int
    ) -> list[TimelinePosition]:
        """Rebuild the feed from MongoDB (its newest entries) and answer the page from them."""
        assert self._feeds is not None
        mark = await self._feeds.start_rebuild(kind, owner_id)
        if mark is None:
            return await self._stored_positions(kind, owner_id, after, limit)
        newest = await self._stored_positions(kind, owner_id, None, self._feeds.cap + 1)
        await self._feeds.complete_rebuild(kind, owner_id, mark, newest)
        page = [p for p in newest[: self._feeds.cap] if after is None or p < after][:limit]
        if len(page) < limit and len(newest) > self._feeds.cap:
            return await self._stored_positions(kind, owner_id, after, limit)
        return page

    async def _stored_positions(
        self, kind: FeedKind, owner_id: str, after: TimelinePosition | None, limit: int
    ) -> list[TimelinePosition]:
        """Up to `limit` newest-first distinct positions of the feed as MongoDB holds it."""
        if kind == "profile":
            cursor = (
                self._profiles.find({"owner_id": owner_id, **_after(after)}, POSITION_FIELDS)
                .sort(NEWEST_FIRST)
                .limit(limit)
            )
            return [_position(document) async for document in cursor]
        return await self._pulled_home(owner_id, after, limit)

    async def _pulled_home(
        self, owner_id: str, after: TimelinePosition | None, limit: int
    ) -> list[TimelinePosition]:
        """A home feed pulled from MongoDB: the profile entries of the owner's active followees
        (celebrities' too, which readers merge in anyway: a feed pulled while an author's
        status changes misses none of its posts), but no post authored by an account in a
        block with the owner; each post once (a co-authored post is on several profiles), so
        the cursor is read until `limit` distinct posts or its end."""
        followees = await self._follows.active_followees(owner_id)
        if not followees:
            return []
        query: Document = {"owner_id": {"$in": followees}, **_after(after)}
        if excluded := await self._blocks.counterparts_of(owner_id):
            query["author_id"] = {"$nin": sorted(excluded)}
        cursor = self._profiles.find(query, POSITION_FIELDS).sort(NEWEST_FIRST).batch_size(limit)
        positions: dict[str, TimelinePosition] = {}
        async for document in cursor:
            positions.setdefault(document["post_id"], _position(document))
            if len(positions) == limit:
                break
        await cursor.close()
        return list(positions.values())

    async def _cache_add(
        self, kind: FeedKind, entries: Iterable[tuple[str, TimelinePosition]]
    ) -> None:
        if self._feeds is not None:
            await self._feeds.add(kind, entries)

    async def _invalidate(self, kind: FeedKind, owner_ids: Sequence[str]) -> None:
        if self._feeds is not None:
            await self._feeds.invalidate(kind, owner_ids)


async def retire_home_entries(db: Database, feeds: FeedCache | None) -> None:
    """Home entries and their size counters, once kept per follower, are gone: home feeds are
    pulled (the feeds rebuilt from those entries held only a back-fill of a followee's posts,
    so they are pulled again too)."""
    for name in RETIRED_COLLECTIONS:
        await db.drop_collection(name)
    if feeds is not None:
        await feeds.clear_when_reachable()


def _card_position(card: PostCard) -> TimelinePosition:
    if card.published_at is None:
        raise ValueError(f"post {card.post_id} is not published: it has no timeline position")
    return TimelinePosition(card.published_at, card.post_id)


def _entry_fields(card: PostCard) -> Document:
    position = _card_position(card)
    return {
        "post_id": card.post_id,
        "author_id": card.author_id,
        "published_at": card.published_at,
        POSITION: position.sort_key,
    }


@dataclass(frozen=True, slots=True)
class HomeAnnouncements:
    """Tells readers' open streams (through Redis, `shared.home_updates`) that a post was just
    written to their home timelines; not those who mute one of its authors, whose timeline
    leaves it out (`TimelineQueries.home`)."""

    redis: RedisClient
    prefix: str
    mutes: RelationReplica

    async def announce(self, card: PostCard, owner_ids: Sequence[str]) -> None:
        authors = card.reaching_authors()
        muting = await self.mutes.active_pairs(
            (owner_id, author_id) for owner_id in owner_ids for author_id in authors
        )
        muters = {owner_id for owner_id, _ in muting}
        readers = [owner_id for owner_id in owner_ids if owner_id not in muters]
        await announce_home_update(self.redis, self.prefix, card.post_id, readers)
