"""MongoDB access of the timeline service: the follower replica, post cards and entries.

Collections:
- `follows`: `_id` "{follower}:{followee}", `active`, `as_of` (the event time; an older event
  never overwrites a newer one) and `followee_celebrity` (so a reader finds the celebrities
  it follows with one indexed query);
- `follower_counts`: `_id` author, `followers` (recounted from `follows` on every follow
  change, so a crash between the two writes heals at the next change or redelivery),
  `celebrity` (its posts are not fanned out) and `merged_at_read` (its edges are flagged;
  absent in documents older than the field: then equal to `celebrity`);
- `post_cards`: `_id` post id, the post's content and its credits (`PostCard`), and its like
  and reply counts with their `counts_version` (the highest version announced wins);
- `profile_entries`: `_id` "{user}:{post}", one per author and credited co-author;
- `home_entries`: `_id` "{owner}:{post}", with `via`, the followed authors through whom the
  owner sees the post; the entry goes when `via` is empty.
"""

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import DeleteMany, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.events.posts import PostCounts
from shared.mongo import Database, Document, IndexSpec
from shared.user_directory import USER_DIRECTORY_INDEXES
from timeline.domain import CelebrityFlags, Credit, HomeDelivery, PostCard, TimelinePosition

FOLLOWS = "follows"
FOLLOWER_COUNTS = "follower_counts"
POST_CARDS = "post_cards"
PROFILE_ENTRIES = "profile_entries"
HOME_ENTRIES = "home_entries"
# Entries added to each home timeline since it was last measured (an upper bound of its
# size): read by `_id`, which every server answers from its index, unlike `$in` on owner_id.
HOME_GROWTH = "home_growth"
# Entries keep their TimelinePosition's sort key: newest first is one descending field.
POSITION = "position"
NEWEST_FIRST = [(POSITION, -1)]
POSITION_FIELDS = {"published_at": 1, "post_id": 1}
# Entries written before positions were stored get theirs at start-up, this many per command.
POSITION_BACKFILL_BATCH = 500
# A card is rewritten whole on its `version`; lost races on one post are rare.
MAX_CARD_WRITE_ATTEMPTS = 10
DUPLICATE_KEY = 11000
# Follower ids per reply: one reply holds 100 000 (about 4 MB), so one command reads them.
FOLLOWER_READ_BATCH = 100_000

INDEXES = [
    IndexSpec(FOLLOWS, [("followee_id", 1), ("active", 1)]),
    IndexSpec(FOLLOWS, [("follower_id", 1), ("active", 1), ("followee_celebrity", 1)]),
    IndexSpec(PROFILE_ENTRIES, [("owner_id", 1), *NEWEST_FIRST]),
    IndexSpec(PROFILE_ENTRIES, [("post_id", 1)]),
    IndexSpec(HOME_ENTRIES, [("owner_id", 1), *NEWEST_FIRST]),
    IndexSpec(HOME_ENTRIES, [("post_id", 1)]),
    IndexSpec(HOME_ENTRIES, [("via", 1)]),
    IndexSpec(POST_CARDS, [("remix_of_post_id", 1), ("remix_status", 1)]),
    *USER_DIRECTORY_INDEXES,
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


# -- the follower replica --------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpdate:
    """What recording a follow state did: `applied` unless a newer event already won."""

    applied: bool
    changed: bool


class FollowRepository:
    def __init__(self, db: Database) -> None:
        self._follows = db[FOLLOWS]
        self._counts = db[FOLLOWER_COUNTS]

    async def record(
        self, follower_id: str, followee_id: str, *, active: bool, as_of: datetime
    ) -> FollowUpdate:
        """Store the edge's state unless a newer one is stored (same time: applied again)."""
        celebrity = active and (await self.flags_of(followee_id)).merged_at_read
        try:
            before = await self._follows.find_one_and_update(
                {"_id": f"{follower_id}:{followee_id}", "as_of": {"$lte": as_of}},
                {
                    "$set": {
                        "follower_id": follower_id,
                        "followee_id": followee_id,
                        "active": active,
                        "as_of": as_of,
                        "followee_celebrity": celebrity,
                    }
                },
                upsert=True,
                return_document=ReturnDocument.BEFORE,
            )
        except DuplicateKeyError:
            return FollowUpdate(applied=False, changed=False)
        was_active = before is not None and bool(before["active"])
        return FollowUpdate(applied=True, changed=was_active != active)

    async def followers(self, followee_id: str) -> list[str]:
        """Every active follower, streamed in large batches (few getMore round trips)."""
        cursor = self._follows.find(
            {"followee_id": followee_id, "active": True}, {"follower_id": 1, "_id": 0}
        ).batch_size(FOLLOWER_READ_BATCH)
        return [document["follower_id"] async for document in cursor]

    async def followed_celebrities(self, follower_id: str) -> list[str]:
        cursor = self._follows.find(
            {"follower_id": follower_id, "active": True, "followee_celebrity": True},
            {"followee_id": 1, "_id": 0},
        )
        return [document["followee_id"] async for document in cursor]

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

    # -- follower counts (they decide who is a celebrity) ------------------------------

    async def count_followers(self, author_ids: Sequence[str]) -> dict[str, int]:
        """Active followers of each author, counted from the replica in one aggregation."""
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

    async def flag_edge(self, follower_id: str, followee_id: str) -> None:
        """Flag one follow edge, if still active, as leading to a celebrity."""
        await self._follows.update_one(
            {"_id": f"{follower_id}:{followee_id}", "active": True},
            {"$set": {"followee_celebrity": True}},
        )

    async def celebrities_among(self, author_ids: Sequence[str]) -> set[str]:
        cursor = self._counts.find(
            {"_id": {"$in": list(author_ids)}, "celebrity": True}, {"_id": 1}
        )
        return {document["_id"] async for document in cursor}


# -- post cards ------------------------------------------------------------------------


class CardWriteConflict(RuntimeError):
    """Too many concurrent writers on one card; the event is retried by the bus."""


class PostCardRepository:
    def __init__(self, db: Database) -> None:
        self._cards = db[POST_CARDS]

    async def change(
        self, post_id: str, change: Callable[[PostCard], PostCard], *, likely_new: bool = False
    ) -> tuple[PostCard, PostCard]:
        """Apply `change(card) -> card` as one conditional write; returns (before, after).

        `likely_new`: the card most likely does not exist yet (a post just published), so
        the write is tried first, without reading: one command instead of two.
        """
        if likely_new:
            before = PostCard(post_id)
            after = change(before)
            if await self._write(after, None):
                return before, after
        for _ in range(MAX_CARD_WRITE_ATTEMPTS):
            document = await self._cards.find_one({"_id": post_id})
            before = _card(document) if document else PostCard(post_id)
            after = change(before)
            if after == before or await self._write(after, document):
                return before, after
        raise CardWriteConflict(post_id)

    async def _write(self, card: PostCard, previous: Document | None) -> bool:
        if previous is None:
            with contextlib.suppress(DuplicateKeyError):
                await self._cards.insert_one({"_id": card.post_id, **_card_fields(card)})
                return True
            return False
        result = await self._cards.update_one(
            {"_id": card.post_id, "version": previous["version"]},
            {"$set": _card_fields(card, version=previous["version"] + 1)},
        )
        return result.modified_count == 1

    async def recount_remixes(self, original_id: str) -> None:
        """Count the original's approved published remixes into its card (made if not yet
        there, as `unknown`: its post.published fills the rest)."""
        count = await self._cards.count_documents(
            {"remix_of_post_id": original_id, "remix_status": "approved", "status": "published"}
        )
        with contextlib.suppress(DuplicateKeyError):
            await self._cards.update_one(
                {"_id": original_id},
                {
                    "$set": {"remix_count": count},
                    "$setOnInsert": _card_fields(PostCard(original_id)),
                },
                upsert=True,
            )

    async def record_counts(self, post_id: str, counts: PostCounts) -> None:
        """Keep the counts unless the card has this version of them or a newer one (a card
        not there yet is made `unknown`, as for a remix count)."""
        with contextlib.suppress(DuplicateKeyError):  # this version or a newer one is stored
            await self._cards.update_one(*_counts_update(post_id, counts), upsert=True)

    async def record_many_counts(self, counts: Mapping[str, PostCounts]) -> None:
        """`record_counts` for many posts in one command."""
        if not counts:
            return
        writes = [
            UpdateOne(*_counts_update(post_id, post_counts), upsert=True)
            for post_id, post_counts in counts.items()
        ]
        try:
            await self._cards.bulk_write(writes, ordered=False)
        except BulkWriteError as exc:
            _raise_unless_only_duplicate_keys(exc)

    async def forget_counts(self, post_id: str) -> None:
        await self._cards.update_one({"_id": post_id}, {"$unset": dict.fromkeys(COUNT_FIELDS, "")})

    async def published(self, post_ids: Sequence[str]) -> dict[str, PostCard]:
        cursor = self._cards.find({"_id": {"$in": list(post_ids)}, "status": "published"})
        return {document["_id"]: _card(document) async for document in cursor}


COUNTS_VERSION = "counts_version"
COUNT_FIELDS = ("like_count", "reply_count", COUNTS_VERSION)


def _counts_update(post_id: str, counts: PostCounts) -> tuple[Document, Document]:
    """Filter and update of a counts write: `$not $gte` also matches a card without counts."""
    return (
        {"_id": post_id, COUNTS_VERSION: {"$not": {"$gte": counts.version}}},
        {
            "$set": {
                "like_count": counts.like_count,
                "reply_count": counts.reply_count,
                COUNTS_VERSION: counts.version,
            },
            "$setOnInsert": _card_fields(PostCard(post_id)),
        },
    )


def _raise_unless_only_duplicate_keys(exc: BulkWriteError) -> None:
    errors = exc.details.get("writeErrors", [])
    if exc.details.get("writeConcernErrors") or any(
        error["code"] != DUPLICATE_KEY for error in errors
    ):
        raise exc


def _card_fields(card: PostCard, version: int = 1) -> Document:
    return {
        "version": version,
        "status": card.status,
        "author_id": card.author_id,
        "text": card.text,
        "publish_mode": card.publish_mode,
        "created_at": card.created_at,
        "published_at": card.published_at,
        "credits": [
            {"coauthor_id": c.coauthor_id, "credited": c.credited, "as_of": c.as_of}
            for c in card.credits
        ],
        "remix_of_post_id": card.remix_of_post_id,
        "remix_status": card.remix_status,
    }


def _card(document: Document) -> PostCard:
    return PostCard(
        post_id=document["_id"],
        status=document["status"],
        author_id=document.get("author_id"),
        text=document.get("text", ""),
        publish_mode=document.get("publish_mode", "now"),
        created_at=document.get("created_at"),
        published_at=document.get("published_at"),
        credits=tuple(
            Credit(c["coauthor_id"], bool(c["credited"]), c["as_of"])
            for c in document.get("credits", [])
        ),
        remix_of_post_id=document.get("remix_of_post_id"),
        remix_status=document.get("remix_status"),
        remix_count=document.get("remix_count", 0),
        like_count=document.get("like_count", 0),
        reply_count=document.get("reply_count", 0),
    )


# -- profile and home entries ----------------------------------------------------------


class EntryRepository:
    def __init__(self, db: Database) -> None:
        self._profiles = db[PROFILE_ENTRIES]
        self._homes = db[HOME_ENTRIES]
        self._growth = db[HOME_GROWTH]

    async def store_positions(self) -> None:
        """Give the entries written before positions were stored theirs (a migration)."""
        for entries in (self._profiles, self._homes):
            unpositioned = {POSITION: {"$exists": False}}
            while batch := await entries.find(unpositioned, POSITION_FIELDS).to_list(
                POSITION_BACKFILL_BATCH
            ):
                positions = [
                    UpdateOne(
                        {"_id": entry["_id"]}, {"$set": {POSITION: _position(entry).sort_key}}
                    )
                    for entry in batch
                ]
                await entries.bulk_write(positions, ordered=False)

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

    async def take_off_profile(self, user_id: str, post_id: str) -> None:
        await self._profiles.delete_one({"_id": f"{user_id}:{post_id}"})

    async def profile_positions(
        self, owner_ids: Sequence[str], after: TimelinePosition | None, limit: int
    ) -> list[TimelinePosition]:
        """Newest-first entries of these profiles (a post on two of them comes twice)."""
        owners: Any = owner_ids[0] if len(owner_ids) == 1 else {"$in": list(owner_ids)}
        cursor = (
            self._profiles.find({"owner_id": owners, **_after(after)}, POSITION_FIELDS)
            .sort(NEWEST_FIRST)
            .limit(limit)
        )
        return [_position(document) async for document in cursor]

    async def recent_profile_entries(self, owner_id: str, limit: int) -> list[Document]:
        cursor = self._profiles.find({"owner_id": owner_id}).sort(NEWEST_FIRST).limit(limit)
        return await cursor.to_list()

    # home entries

    async def deliver(self, card: PostCard, deliveries: Sequence[HomeDelivery]) -> list[str]:
        """One bulk write; returns the owners whose timeline got a new entry."""
        if not deliveries:
            return []
        fields = _entry_fields(card)
        result = await self._homes.bulk_write(
            [
                UpdateOne(
                    {"_id": f"{delivery.owner_id}:{card.post_id}"},
                    {
                        "$setOnInsert": {"owner_id": delivery.owner_id, **fields},
                        "$addToSet": {"via": {"$each": list(delivery.via)}},
                    },
                    upsert=True,
                )
                for delivery in deliveries
            ],
            ordered=False,
        )
        return [deliveries[index].owner_id for index in result.upserted_ids or {}]

    async def copy_to_homes(self, via: str, copies: Sequence[tuple[str, Document]]) -> set[str]:
        """Copy (owner, profile entry) pairs into home timelines, reached through `via`.

        One bulk write; returns the owners whose timeline got a new entry.
        """
        if not copies:
            return set()
        result = await self._homes.bulk_write(
            [
                UpdateOne(
                    {"_id": f"{owner_id}:{entry['post_id']}"},
                    {
                        "$setOnInsert": {
                            "owner_id": owner_id,
                            "post_id": entry["post_id"],
                            "author_id": entry["author_id"],
                            "published_at": entry["published_at"],
                            POSITION: _position(entry).sort_key,
                        },
                        "$addToSet": {"via": via},
                    },
                    upsert=True,
                )
                for owner_id, entry in copies
            ],
            ordered=False,
        )
        return {copies[index][0] for index in result.upserted_ids or {}}

    async def withdraw_post_via(self, post_id: str, author_id: str) -> None:
        """The post no longer reaches anyone through this author."""
        await self._homes.update_many(
            {"post_id": post_id, "via": author_id}, {"$pull": {"via": author_id}}
        )
        await self._homes.delete_many({"post_id": post_id, "via": {"$size": 0}})

    async def withdraw_followee(self, owner_id: str, followee_id: str) -> None:
        """The owner no longer sees anything through this followee."""
        await self._homes.update_many(
            {"owner_id": owner_id, "via": followee_id}, {"$pull": {"via": followee_id}}
        )
        await self._homes.delete_many({"owner_id": owner_id, "via": {"$size": 0}})

    async def drop_authored_by(self, owner_id: str, author_id: str) -> None:
        await self._homes.delete_many({"owner_id": owner_id, "author_id": author_id})

    async def purge_post(self, post_id: str) -> None:
        await self._homes.delete_many({"post_id": post_id})
        await self._profiles.delete_many({"post_id": post_id})

    async def purge_account(self, user_id: str) -> None:
        """A deleted account: its timelines, its posts, and every entry reached through it."""
        await self._homes.delete_many({"$or": [{"owner_id": user_id}, {"author_id": user_id}]})
        await self._homes.update_many({"via": user_id}, {"$pull": {"via": user_id}})
        await self._homes.delete_many({"via": {"$size": 0}})
        await self._profiles.delete_many({"$or": [{"owner_id": user_id}, {"author_id": user_id}]})
        await self._growth.delete_one({"_id": user_id})

    async def home_positions(
        self, owner_id: str, after: TimelinePosition | None, limit: int
    ) -> list[TimelinePosition]:
        cursor = (
            self._homes.find({"owner_id": owner_id, **_after(after)}, POSITION_FIELDS)
            .sort(NEWEST_FIRST)
            .limit(limit)
        )
        return [_position(document) async for document in cursor]

    async def count_growth(self, owner_ids: Sequence[str], limit: int) -> list[str]:
        """Count one more entry in each of these home timelines; returns those whose count had
        already reached `limit`, to be trimmed (their count is left to the trim).

        One bulk write, and no read: a counter at the limit fails the filter, so its upsert
        collides with it (a duplicate key), and those errors name the timelines to trim.
        Reading the counters back was a find by `$in` over every follower, which the embedded
        servers answer in time growing with the square of the ids (seconds at 1 000).
        """
        if not owner_ids:
            return []
        try:
            await self._growth.bulk_write(
                [
                    UpdateOne(
                        {"_id": owner_id, "entries": {"$lt": limit}},
                        {"$inc": {"entries": 1}},
                        upsert=True,
                    )
                    for owner_id in owner_ids
                ],
                ordered=False,
            )
        except BulkWriteError as exc:
            _raise_unless_only_duplicate_keys(exc)
            return [owner_ids[error["index"]] for error in exc.details["writeErrors"]]
        return []

    async def trim_homes(self, owner_ids: Sequence[str], keep: int) -> None:
        """Keep each owner's `keep` newest entries: one lookup per owner, one bulk delete."""
        deletions = []
        for owner_id in owner_ids:
            oldest_kept = await self._homes.find_one(
                {"owner_id": owner_id},
                POSITION_FIELDS,
                sort=NEWEST_FIRST,
                skip=keep - 1,
            )
            if oldest_kept is not None:
                deletions.append(
                    DeleteMany({"owner_id": owner_id, **_after(_position(oldest_kept))})
                )
        if deletions:
            await self._homes.bulk_write(deletions, ordered=False)
        # Measured afresh: deletions and withdrawals since the last trim count too.
        for owner_id in owner_ids:
            entries = await self._homes.count_documents({"owner_id": owner_id})
            await self._growth.update_one(
                {"_id": owner_id}, {"$set": {"entries": entries}}, upsert=True
            )


def _entry_fields(card: PostCard) -> Document:
    if card.published_at is None:
        raise ValueError(f"post {card.post_id} is not published: it has no timeline position")
    position = TimelinePosition(card.published_at, card.post_id)
    return {
        "post_id": card.post_id,
        "author_id": card.author_id,
        "published_at": card.published_at,
        POSITION: position.sort_key,
    }
