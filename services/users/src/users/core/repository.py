"""The users collection: accounts (and the tombstones of deleted ones), each write carrying
its events."""

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.errors import DuplicateKeyError

from shared.events import EventEnvelope
from shared.events.users import KeepCoauthoredPosts
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import outbox_entry, with_events
from shared.personal_data import PersonalRecords
from shared.public_user import Avatar
from users.core.rules import (
    DEFAULT_COLLAB_POLICY,
    DEFAULT_REMIX_APPROVAL,
    DEFAULT_REMIX_POLICY,
    CollabPolicy,
    HandleTaken,
    RemixApproval,
    RemixPolicy,
)

USERS = "users"
# Set once the federation service has been told the account's remix settings: by
# user.registered (the defaults), by user.remix_settings_changed, or by the start-up pass
# that announces them for the accounts older than that event (`settings_unannounced`).
REMIX_SETTINGS_ANNOUNCED = "remix_settings_announced"
# The account itself, as stored: its profile and settings, never its password's hash (nor
# the bookkeeping above).
ACCOUNT_PERSONAL_DATA = (
    PersonalRecords(
        "account.json",
        USERS,
        lambda user: {"_id": user},
        hidden=("password_hash", REMIX_SETTINGS_ANNOUNCED),
    ),
)

ACCOUNT_INDEXES = [
    # Sparse: a deleted account's tombstone has no handle, which frees the handle for reuse.
    IndexSpec(USERS, [("handle", 1)], {"unique": True, "sparse": True}),
    IndexSpec(USERS, [("deleted_at", 1)], {"sparse": True}),
]

_NOT_DELETED: Document = {"deleted_at": None}


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    handle: str
    display_name: str
    created_at: datetime
    collab_policy: CollabPolicy
    # None: an account that can never sign in (a remote account).
    password_hash: str | None
    remix_policy: RemixPolicy = DEFAULT_REMIX_POLICY
    remix_approval: RemixApproval = DEFAULT_REMIX_APPROVAL
    country: str | None = None
    avatar: Avatar | None = None
    keep_coauthored_posts: KeepCoauthoredPosts = "delete"
    # A remote account's server and actor (shared.remote_accounts); None for a local account.
    domain: str | None = None
    actor_url: str | None = None


class AccountRepository:
    def __init__(self, db: Database) -> None:
        self._users = db[USERS]

    async def insert_account(
        self, account: Account, events: Sequence[EventEnvelope], **extra: object
    ) -> None:
        """`extra`: fields stored beside the account (a remote account's `remote_seen_at`)."""
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
            **_remote_fields(account),
            **extra,
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

    async def accounts_by_handle_prefix(
        self, prefix: str, *, after: str | None, limit: int
    ) -> list[Account]:
        """Accounts whose handle starts with `prefix` (of [a-z0-9_]: no pattern character),
        in handle order after `after`: one range on the unique handle index."""
        start = {"$gt": after} if after is not None and after >= prefix else {"$gte": prefix}
        # Every handle starting with the prefix sorts below the prefix followed by "{", the
        # character after "z" (and after "_" and the digits).
        query = {"handle": {**start, "$lt": prefix + "{"}, **_NOT_DELETED}
        cursor = self._users.find(query).sort("handle", 1).limit(limit)
        return [account async for account in _accounts(cursor)]

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

    async def update_remote_profile(
        self, user_id: str, changes: Document, seen_at: datetime, events: Sequence[EventEnvelope]
    ) -> bool:
        """Applies a remote account's profile as seen at `seen_at`, unless a newer one was."""
        try:
            result = await self._users.update_one(
                {"_id": user_id, "remote_seen_at": {"$lt": seen_at}, **_NOT_DELETED},
                with_events({"$set": {**changes, "remote_seen_at": seen_at}}, events),
            )
        except DuplicateKeyError as exc:
            raise HandleTaken() from exc
        return result.matched_count == 1

    async def settings_unannounced(self, after: str | None, limit: int) -> list[Account]:
        """Live local accounts whose remix settings were never announced, in id order after
        `after`: one pass over the id index, however many are left unmarked behind it."""
        query: Document = {
            REMIX_SETTINGS_ANNOUNCED: {"$exists": False},
            "domain": None,
            **_NOT_DELETED,
            **({"_id": {"$gt": after}} if after is not None else {}),
        }
        cursor = self._users.find(query).sort("_id", 1).limit(limit)
        return [account async for account in _accounts(cursor)]

    async def mark_settings_announced(
        self, account: Account, events: Sequence[EventEnvelope]
    ) -> bool:
        """Only while still unmarked and as read: a replica that marked it first, or a change
        made meanwhile (announced by itself), leaves nothing to announce."""
        result = await self._users.update_one(
            {
                "_id": account.id,
                REMIX_SETTINGS_ANNOUNCED: {"$exists": False},
                "remix_policy": _stored(account.remix_policy, DEFAULT_REMIX_POLICY),
                "remix_approval": _stored(account.remix_approval, DEFAULT_REMIX_APPROVAL),
                **_NOT_DELETED,
            },
            with_events({"$set": {REMIX_SETTINGS_ANNOUNCED: True}}, events),
        )
        return result.modified_count == 1

    async def replace_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._users.update_one(
            {"_id": user_id, **_NOT_DELETED}, {"$set": {"password_hash": password_hash}}
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

    async def keep_coauthored_posts_of(self, user_id: str) -> KeepCoauthoredPosts:
        """The account's choice, kept by its tombstone: a repeated deletion announces it again."""
        document = await self._users.find_one({"_id": user_id}, {"keep_coauthored_posts": 1})
        keep: KeepCoauthoredPosts = (document or {}).get("keep_coauthored_posts", "delete")
        return keep

    async def deleted_since(self, since: datetime) -> list[str]:
        cursor = self._users.find({"deleted_at": {"$gte": since}}, {"_id": 1})
        return [document["_id"] async for document in cursor]


def _stored(setting: RemixPolicy | RemixApproval, default: StrEnum) -> Document | str:
    """How `setting` may be stored: an account older than the setting has none (the default)."""
    return {"$in": [setting.value, None]} if setting == default else setting.value


def _remote_fields(account: Account) -> Document:
    """What only a remote account stores at creation: its server, actor and picture."""
    if account.domain is None:
        return {}
    avatar = account.avatar.model_dump() if account.avatar else None
    return {"domain": account.domain, "actor_url": account.actor_url, "avatar": avatar}


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
        password_hash=document.get("password_hash"),
        remix_policy=RemixPolicy(document.get("remix_policy", DEFAULT_REMIX_POLICY)),
        remix_approval=RemixApproval(document.get("remix_approval", DEFAULT_REMIX_APPROVAL)),
        country=document.get("country"),
        avatar=document.get("avatar"),
        keep_coauthored_posts=document.get("keep_coauthored_posts", "delete"),
        domain=document.get("domain"),
        actor_url=document.get("actor_url"),
    )
