"""A service's own read-only copy of public user profiles, kept from the users' events.

Services that render a User (posts, invitations, timeline, notifications) keep this
projection in their own database instead of reading the users service's. Updates are
applied only when newer than what is stored, so duplicated or reordered events are safe.

A service may keep the profiles (and which account holds a handle) in Redis too
(`DirectoryCache`): every update deletes the copies it changed after its MongoDB write; the
next read copies them again.
"""

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from shared.events.users import UserDeleted, UserRegistered, UserUpdated
from shared.mongo import Database, IndexSpec
from shared.public_user import PublicUser
from shared.read_cache import CachedValues, ValuesRead
from shared.redis_store import RedisClient
from shared.subscriptions import Delivery, Subscriptions

USER_PROFILES = "user_profiles"

USER_DIRECTORY_INDEXES = [IndexSpec(USER_PROFILES, [("handle", 1)])]


DELETED_USER_HANDLE = "deleted"
UNKNOWN_USER_HANDLE = "unknown"
# Placeholders, and words that mean something on their own: no account may take them.
RESERVED_HANDLES = frozenset(
    {DELETED_USER_HANDLE, UNKNOWN_USER_HANDLE, "admin", "root", "system", "support", "copost"}
)


@dataclass(frozen=True, slots=True)
class DirectoryCache:
    profiles: CachedValues[PublicUser]
    # A handle's holder as last read: checked against the holder's profile at each read.
    handles: CachedValues[str]


def directory_cache(redis: RedisClient, prefix: str, ttl_seconds: int) -> DirectoryCache:
    return DirectoryCache(
        profiles=CachedValues(
            redis,
            f"{prefix}user:",
            ttl_seconds,
            encode=PublicUser.model_dump_json,
            decode=PublicUser.model_validate_json,
        ),
        handles=CachedValues(redis, f"{prefix}handle:", ttl_seconds, encode=str, decode=str),
    )


class UserDirectory:
    def __init__(
        self, db: Database, cache: DirectoryCache | None = None, *, local_only: bool = False
    ) -> None:
        """`local_only`: keep the accounts of this instance only, not remote ones (those with a
        `domain`), for a service that must never take a remote account for one of its own."""
        self._profiles = db[USER_PROFILES]
        self._cache = cache
        self._local_only = local_only

    async def get(self, user_id: str) -> PublicUser | None:
        found = await self.get_many([user_id])
        return found.get(user_id)

    async def get_many(self, user_ids: Iterable[str]) -> dict[str, PublicUser]:
        """One query for all of them; deleted or unknown users are missing from the answer."""
        if self._cache is not None:
            return await self._cache.profiles.get_many(user_ids, self._stored_many)
        return await self._stored_many(list(dict.fromkeys(user_ids)))

    def profiles_read(self, user_ids: Sequence[str]) -> ValuesRead[PublicUser]:
        """`get_many`, as a read made together with another (`read_values_together`)."""
        cache = self._cache.profiles if self._cache else None
        return ValuesRead(cache, user_ids, self._stored_many)

    async def _stored_many(self, ids: list[str]) -> dict[str, PublicUser]:
        if not ids:
            return {}
        cursor = self._profiles.find({"_id": {"$in": ids}, "deleted": {"$ne": True}})
        return {doc["_id"]: _public_user(doc) async for doc in cursor}

    async def is_deleted(self, user_id: str) -> bool:
        """Whether user.deleted was seen for this id (`get` answers None for unknown ids too)."""
        found = await self._profiles.find_one({"_id": user_id, "deleted": True}, {"_id": 1})
        return found is not None

    async def by_handle(self, handle: str) -> PublicUser | None:
        handle = handle.lower()
        if self._cache is None:
            return await self._stored_by_handle(handle)
        holders = await self._cache.handles.get_many([handle], self._stored_holders)
        holder_id = holders.get(handle)
        holder = (await self.get_many([holder_id])).get(holder_id) if holder_id else None
        if holder_id is None or (holder is not None and holder.handle == handle):
            return holder
        # The holder changed its handle or left since: ask again (the handle may be taken).
        await self._cache.handles.invalidate([handle])
        return await self._stored_by_handle(handle)

    async def _stored_by_handle(self, handle: str) -> PublicUser | None:
        doc = await self._profiles.find_one({"handle": handle, "deleted": {"$ne": True}})
        return _public_user(doc) if doc else None

    async def _stored_holders(self, handles: list[str]) -> dict[str, str]:
        found = [await self._stored_by_handle(handle) for handle in handles]
        return {user.handle: user.id for user in found if user is not None}

    async def _changed(self, user_id: str, handle: str | None = None) -> None:
        """After a write to this profile (and the handle it now has)."""
        if self._cache is not None:
            await self._cache.profiles.invalidate([user_id])
            if handle is not None:
                await self._cache.handles.invalidate([handle.lower()])

    async def apply_registered(self, data: UserRegistered) -> None:
        if self._local_only and data.domain is not None:
            return
        await self._apply_if_newer(
            data.user_id,
            data.created_at,
            {"handle": data.handle, "display_name": data.display_name},
        )
        # An update may have overtaken the registration: the creation time still belongs.
        await self._profiles.update_one(
            {"_id": data.user_id, "created_at": {"$exists": False}},
            {"$set": {"created_at": data.created_at}},
        )
        await self._changed(data.user_id, data.handle)

    async def apply_updated(self, data: UserUpdated) -> None:
        if self._local_only and data.domain is not None:
            return
        await self._apply_if_newer(
            data.user_id,
            data.updated_at,
            {
                "handle": data.handle,
                "display_name": data.display_name,
                "avatar": data.avatar.model_dump() if data.avatar else None,
            },
        )
        await self._changed(data.user_id, data.handle)

    async def apply_deleted(self, data: UserDeleted) -> None:
        # A tombstone: no later event brings the profile back.
        await self._apply_if_newer(data.user_id, data.deleted_at, {"deleted": True})
        await self._changed(data.user_id)

    async def _apply_if_newer(self, user_id: str, as_of: datetime, fields: dict[str, Any]) -> None:
        """Compare-and-set in the filter: only a live profile older than `as_of` is replaced."""
        with contextlib.suppress(DuplicateKeyError):  # a newer version or a tombstone is stored
            await self._profiles.update_one(
                {"_id": user_id, "deleted": {"$ne": True}, "as_of": {"$lt": as_of}},
                {"$set": {**fields, "as_of": as_of}},
                upsert=True,
            )

    async def user_registered(self, delivery: Delivery[UserRegistered]) -> None:
        await self.apply_registered(delivery.event)

    async def user_updated(self, delivery: Delivery[UserUpdated]) -> None:
        await self.apply_updated(delivery.event)

    async def user_deleted(self, delivery: Delivery[UserDeleted]) -> None:
        """A handler that needs the deletion recorded first runs `after` this one."""
        await self.apply_deleted(delivery.event)

    def subscriptions(self) -> Subscriptions:
        """The handlers that keep the directory current, to include in a service's own."""
        subscriptions = Subscriptions()
        subscriptions.on(UserRegistered, self.user_registered)
        subscriptions.on(UserUpdated, self.user_updated)
        subscriptions.on(UserDeleted, self.user_deleted)
        return subscriptions


def _public_user(doc: dict[str, Any]) -> PublicUser:
    return PublicUser(
        id=doc["_id"],
        handle=doc.get("handle", DELETED_USER_HANDLE),
        display_name=doc.get("display_name", ""),
        created_at=doc.get("created_at", doc["as_of"]),
        avatar=doc.get("avatar"),
    )
