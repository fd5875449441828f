"""MongoDB access for users: accounts, follows and blocks, each write carrying its events.

Follows and blocks are documents keyed by the pair (`"<from>:<to>"`) with an `active` flag:
switching the flag is one single-document write that can carry its event in the outbox, and
an upsert keyed that way makes a repeated PUT a no-op. Counts are derived by counting active
documents on indexed fields, so there is no counter to drift.
"""

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.errors import DuplicateKeyError

from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import outbox_entry, with_events
from users.domain import (
    DEFAULT_COLLAB_POLICY,
    DEFAULT_REMIX_APPROVAL,
    DEFAULT_REMIX_POLICY,
    CollabPolicy,
    HandleTaken,
    RemixApproval,
    RemixPolicy,
)

USERS = "users"
FOLLOWS = "follows"
BLOCKS = "blocks"
MUTES = "mutes"

OUTBOX_COLLECTIONS = (USERS, FOLLOWS, BLOCKS, MUTES)

INDEXES = [
    # Sparse: a deleted account's tombstone has no handle, which frees the handle for reuse.
    IndexSpec(USERS, [("handle", 1)], {"unique": True, "sparse": True}),
    IndexSpec(USERS, [("deleted_at", 1)], {"sparse": True}),
    IndexSpec(FOLLOWS, [("followee_id", 1), ("active", 1)]),
    IndexSpec(FOLLOWS, [("follower_id", 1), ("active", 1)]),
    IndexSpec(BLOCKS, [("blocker_id", 1), ("active", 1)]),
    IndexSpec(BLOCKS, [("blocked_id", 1), ("active", 1)]),
    IndexSpec(MUTES, [("muter_id", 1), ("active", 1), ("changed_at", -1)]),
]

_NOT_DELETED: Document = {"deleted_at": None}


@dataclass(frozen=True)
class Account:
    id: str
    handle: str
    display_name: str
    created_at: datetime
    collab_policy: CollabPolicy
    password_hash: str
    # Wrong passwords in a row, and until when sign-ins are refused because of them.
    login_failures: int = 0
    login_blocked_until: datetime | None = None
    remix_policy: RemixPolicy = DEFAULT_REMIX_POLICY
    remix_approval: RemixApproval = DEFAULT_REMIX_APPROVAL
    country: str | None = None


def relation_id(from_user_id: str, to_user_id: str) -> str:
    return f"{from_user_id}:{to_user_id}"


class UsersRepository:
    def __init__(self, db: Database) -> None:
        self._users = db[USERS]
        self._follows = db[FOLLOWS]
        self._blocks = db[BLOCKS]
        self._mutes = db[MUTES]

    # Accounts

    async def insert_account(self, account: Account, events: Sequence[EventEnvelope]) -> None:
        document: Document = {
            "_id": account.id,
            "handle": account.handle,
            "display_name": account.display_name,
            "created_at": account.created_at,
            "collab_policy": account.collab_policy.value,
            "password_hash": account.password_hash,
            "remix_policy": account.remix_policy.value,
            "remix_approval": account.remix_approval.value,
            "country": account.country,
            "outbox": [outbox_entry(event) for event in events],
        }
        try:
            await self._users.insert_one(document)
        except DuplicateKeyError as exc:
            raise HandleTaken() from exc

    async def account(self, user_id: str) -> Account | None:
        document = await self._users.find_one({"_id": user_id, **_NOT_DELETED})
        return _account(document) if document else None

    async def account_by_handle(self, handle: str) -> Account | None:
        document = await self._users.find_one({"handle": handle, **_NOT_DELETED})
        return _account(document) if document else None

    async def accounts_by_handle(self, handles: Iterable[str]) -> dict[str, Account]:
        cursor = self._users.find({"handle": {"$in": list(set(handles))}, **_NOT_DELETED})
        return {account.handle: account async for account in _accounts(cursor)}

    async def accounts_by_id(self, user_ids: Iterable[str]) -> dict[str, Account]:
        cursor = self._users.find({"_id": {"$in": list(set(user_ids))}, **_NOT_DELETED})
        return {account.id: account async for account in _accounts(cursor)}

    async def ever_existed(self, user_id: str) -> bool:
        return await self._users.count_documents({"_id": user_id}, limit=1) > 0

    async def update_profile(
        self, user_id: str, changes: Document, events: Sequence[EventEnvelope]
    ) -> bool:
        if not changes:
            return True
        result = await self._users.update_one(
            {"_id": user_id, **_NOT_DELETED}, with_events({"$set": changes}, events)
        )
        return result.matched_count == 1

    async def replace_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._users.update_one(
            {"_id": user_id, **_NOT_DELETED}, {"$set": {"password_hash": password_hash}}
        )

    async def record_login_failure(
        self, user_id: str, now: datetime, wait_after: Callable[[int], float]
    ) -> None:
        """Count one more wrong password; refuse sign-ins for `wait_after(count)` seconds."""
        document = await self._users.find_one_and_update(
            {"_id": user_id, **_NOT_DELETED},
            {"$inc": {"login_failures": 1}},
            projection={"login_failures": 1},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            return
        blocked_until = now + timedelta(seconds=wait_after(document["login_failures"]))
        await self._users.update_one(
            {"_id": user_id}, {"$set": {"login_blocked_until": blocked_until}}
        )

    async def clear_login_failures(self, user_id: str) -> None:
        await self._users.update_one(
            {"_id": user_id}, {"$unset": {"login_failures": "", "login_blocked_until": ""}}
        )

    async def tombstone(
        self, user_id: str, deleted_at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        """Keep only the id and the dates: the handle is freed, the password hash scrubbed."""
        update = {
            "$set": {"deleted_at": deleted_at},
            "$unset": {
                "handle": "",
                "display_name": "",
                "password_hash": "",
                "collab_policy": "",
                "country": "",
            },
        }
        result = await self._users.update_one(
            {"_id": user_id, **_NOT_DELETED}, with_events(update, events)
        )
        return result.modified_count == 1

    async def deleted_since(self, since: datetime) -> list[str]:
        cursor = self._users.find({"deleted_at": {"$gte": since}}, {"_id": 1})
        return [document["_id"] async for document in cursor]

    # Follows

    async def activate_follow(
        self, follower_id: str, followee_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        document_id = relation_id(follower_id, followee_id)
        fields = {"follower_id": follower_id, "followee_id": followee_id}
        return await _activate(self._follows, document_id, fields, at, events)

    async def deactivate_follow(
        self, follower_id: str, followee_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        return await _deactivate(self._follows, relation_id(follower_id, followee_id), at, events)

    async def active_follows(self, ids: Iterable[str]) -> set[str]:
        return await _active_ids(self._follows, ids)

    async def followers_count(self, user_id: str) -> int:
        return await self._follows.count_documents({"followee_id": user_id, "active": True})

    async def following_count(self, user_id: str) -> int:
        return await self._follows.count_documents({"follower_id": user_id, "active": True})

    # Blocks

    async def activate_block(
        self, blocker_id: str, blocked_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        document_id = relation_id(blocker_id, blocked_id)
        fields = {"blocker_id": blocker_id, "blocked_id": blocked_id}
        return await _activate(self._blocks, document_id, fields, at, events)

    async def deactivate_block(
        self, blocker_id: str, blocked_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        return await _deactivate(self._blocks, relation_id(blocker_id, blocked_id), at, events)

    async def active_blocks(self, ids: Iterable[str]) -> set[str]:
        return await _active_ids(self._blocks, ids)

    async def blocked_either_way(self, user_id: str, other_id: str) -> bool:
        ids = {relation_id(user_id, other_id), relation_id(other_id, user_id)}
        return bool(await self.active_blocks(ids))

    # Mutes (issue 12)

    async def activate_mute(
        self, muter_id: str, muted_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        fields = {"muter_id": muter_id, "muted_id": muted_id}
        return await _activate(self._mutes, relation_id(muter_id, muted_id), fields, at, events)

    async def deactivate_mute(
        self, muter_id: str, muted_id: str, at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        return await _deactivate(self._mutes, relation_id(muter_id, muted_id), at, events)

    async def muted_page(
        self, muter_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[tuple[str, datetime, str]]:
        """(muted id, muted at, document id) of the accounts `muter_id` mutes, newest first."""
        query: Document = {"muter_id": muter_id, "active": True}
        if before is not None:
            query["$or"] = [
                {"changed_at": {"$lt": before[0]}},
                {"changed_at": before[0], "_id": {"$lt": before[1]}},
            ]
        cursor = self._mutes.find(query).sort([("changed_at", -1), ("_id", -1)]).limit(limit)
        return [(doc["muted_id"], doc["changed_at"], doc["_id"]) async for doc in cursor]

    async def deactivate_relations_of(self, user_id: str, at: datetime) -> None:
        """Drop a deleted account's follows and blocks; its user.deleted event says so to others."""
        deactivate = {"$set": {"active": False, "changed_at": at}}
        await self._follows.update_many(
            {"$or": [{"follower_id": user_id}, {"followee_id": user_id}], "active": True},
            deactivate,
        )
        await self._blocks.update_many(
            {"$or": [{"blocker_id": user_id}, {"blocked_id": user_id}], "active": True},
            deactivate,
        )
        await self._mutes.update_many(
            {"$or": [{"muter_id": user_id}, {"muted_id": user_id}], "active": True},
            deactivate,
        )


async def _activate(
    collection: AsyncCollection[Document],
    document_id: str,
    fields: Document,
    at: datetime,
    events: Sequence[EventEnvelope],
) -> bool:
    """Switch a relation on; False when it already was (then its events are not written)."""
    update = with_events({"$set": {**fields, "active": True, "changed_at": at}}, events)
    try:
        # When the relation is already active the filter misses and the upsert collides on _id.
        result = await collection.update_one(
            {"_id": document_id, "active": {"$ne": True}}, update, upsert=True
        )
    except DuplicateKeyError:
        return False
    return result.upserted_id is not None or result.modified_count == 1


async def _deactivate(
    collection: AsyncCollection[Document],
    document_id: str,
    at: datetime,
    events: Sequence[EventEnvelope],
) -> bool:
    """Switch a relation off, keeping its document so the write can carry its events."""
    update = with_events({"$set": {"active": False, "changed_at": at}}, events)
    result = await collection.update_one({"_id": document_id, "active": True}, update)
    return result.modified_count == 1


async def _active_ids(collection: AsyncCollection[Document], ids: Iterable[str]) -> set[str]:
    cursor = collection.find({"_id": {"$in": list(set(ids))}, "active": True}, {"_id": 1})
    return {document["_id"] async for document in cursor}


async def _accounts(cursor: AsyncCursor[Document]) -> AsyncIterator[Account]:
    async for document in cursor:
        yield _account(document)


def _account(document: Document) -> Account:
    return Account(
        id=document["_id"],
        handle=document["handle"],
        display_name=document["display_name"],
        created_at=document["created_at"],
        collab_policy=CollabPolicy(document.get("collab_policy", DEFAULT_COLLAB_POLICY)),
        password_hash=document["password_hash"],
        login_failures=document.get("login_failures", 0),
        login_blocked_until=document.get("login_blocked_until"),
        remix_policy=RemixPolicy(document.get("remix_policy", DEFAULT_REMIX_POLICY)),
        remix_approval=RemixApproval(document.get("remix_approval", DEFAULT_REMIX_APPROVAL)),
        country=document.get("country"),
    )
