"""A service's own copy of who blocks or mutes whom, kept from the users service's events.

One document per ordered pair (`"<from>:<to>"`) with its state and the time of the event
that set it; an event older than what is stored is ignored, so duplicated or reordered
block/unblock (mute/unmute) events leave the newest state.

A service may keep each account's targets in Redis too (`targets_cache`): every write deletes
the sets it changed after its MongoDB write; the next read copies them again.
"""

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from shared.events.users import UserBlocked, UserMuted, UserUnblocked, UserUnmuted
from shared.internal_http import EligibilityClient
from shared.mongo import Database, IndexSpec
from shared.problems import BadGateway, GatewayTimeout, ServiceUnavailable
from shared.read_cache import CachedSets, SetRead, read_sets
from shared.subscriptions import Delivery, Subscriptions

log = logging.getLogger(__name__)

# How long a block check waits for the users service before the replica answers instead.
BLOCK_CHECK_TIMEOUT_SECONDS = 1.0

BLOCK_REPLICA = "block_replica"
MUTE_REPLICA = "mute_replica"


def relation_replica_indexes(collection: str, *, by_target: bool = False) -> list[IndexSpec]:
    """`by_target`: for a replica asked for `counterparts_of` an account."""
    by_source = IndexSpec(collection, [("from_id", 1), ("active", 1)])
    return (
        [by_source, IndexSpec(collection, [("to_id", 1), ("active", 1)])]
        if by_target
        else [by_source]
    )


class RelationReplica:
    def __init__(
        self, db: Database, collection: str, targets_cache: CachedSets | None = None
    ) -> None:
        self._relations = db[collection]
        self._targets_cache = targets_cache

    async def record(self, from_id: str, to_id: str, *, active: bool, as_of: datetime) -> bool:
        """Store the pair's state unless a newer one is stored; False when this was older news."""
        try:
            await self._relations.update_one(
                {"_id": f"{from_id}:{to_id}", "as_of": {"$lt": as_of}},
                {"$set": {"from_id": from_id, "to_id": to_id, "active": active, "as_of": as_of}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        await self._changed(from_id)
        return True

    async def _changed(self, from_id: str) -> None:
        if self._targets_cache is not None:
            await self._targets_cache.invalidate([from_id])

    async def targets_of(self, from_id: str) -> set[str]:
        """Everyone `from_id` blocks (mutes) now: one indexed query, or none from Redis."""
        [targets] = await read_sets([self.targets_read(from_id)])
        return targets

    def targets_read(self, from_id: str) -> SetRead:
        """`targets_of`, to read with other sets in one round trip (`read_sets`)."""
        return SetRead(self._targets_cache, from_id, self._stored_targets_of)

    async def _stored_targets_of(self, from_id: str) -> set[str]:
        cursor = self._relations.find({"from_id": from_id, "active": True}, {"to_id": 1})
        return {document["to_id"] async for document in cursor}

    async def counterparts_of(self, user_id: str) -> set[str]:
        """Everyone the user blocks (mutes) or is blocked (muted) by now: two indexed queries
        (an `$or` of the two is a collection scan on the embedded server)."""
        targets = await self._stored_targets_of(user_id)
        cursor = self._relations.find({"to_id": user_id, "active": True}, {"from_id": 1})
        return targets | {document["from_id"] async for document in cursor}

    async def active_pairs(self, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (from, to) pairs are active now: one query."""
        ids = [f"{a}:{b}" for a, b in pairs]
        if not ids:
            return set()
        cursor = self._relations.find(
            {"_id": {"$in": ids}, "active": True}, {"from_id": 1, "to_id": 1}
        )
        return {(document["from_id"], document["to_id"]) async for document in cursor}

    async def forget(self, user_id: str) -> None:
        """A deleted account blocks and mutes no one any more."""
        with contextlib.suppress(DuplicateKeyError):
            await self._relations.update_many(
                {"from_id": user_id, "active": True}, {"$set": {"active": False}}
            )
        await self._changed(user_id)


def mute_subscriptions(mutes: RelationReplica) -> Subscriptions:
    """The handlers that keep a mute replica, to include in a service's own."""

    async def muted(delivery: Delivery[UserMuted]) -> None:
        mute = delivery.event
        await mutes.record(mute.muter_id, mute.muted_id, active=True, as_of=mute.muted_at)

    async def unmuted(delivery: Delivery[UserUnmuted]) -> None:
        unmute = delivery.event
        await mutes.record(unmute.muter_id, unmute.muted_id, active=False, as_of=unmute.unmuted_at)

    subscriptions = Subscriptions()
    subscriptions.on(UserMuted, muted)
    subscriptions.on(UserUnmuted, unmuted)
    return subscriptions


def block_subscriptions(blocks: RelationReplica) -> Subscriptions:
    """The handlers that keep a block replica, to include in a service's own."""

    async def blocked(delivery: Delivery[UserBlocked]) -> None:
        block = delivery.event
        await blocks.record(block.blocker_id, block.blocked_id, active=True, as_of=block.blocked_at)

    async def unblocked(delivery: Delivery[UserUnblocked]) -> None:
        unblock = delivery.event
        await blocks.record(
            unblock.blocker_id, unblock.blocked_id, active=False, as_of=unblock.unblocked_at
        )

    subscriptions = Subscriptions()
    subscriptions.on(UserBlocked, blocked)
    subscriptions.on(UserUnblocked, unblocked)
    return subscriptions


@dataclass(frozen=True, slots=True)
class BlockGuard:
    """Who among some accounts blocks a user *now*, so a block holds the moment the block
    call returns, not when its event arrives: the users service is asked (signed, internal
    API); if it does not answer within BLOCK_CHECK_TIMEOUT_SECONDS, the replica kept from
    user.blocked/unblocked events answers instead (it lags by the event's delivery)."""

    users: EligibilityClient
    replica: RelationReplica

    async def blockers_among(self, account_ids: Iterable[str], user_id: str) -> set[str]:
        among = sorted(set(account_ids) - {user_id})
        if not among or not user_id:
            return set()
        try:
            return await self.users.blockers(
                user_id, among, timeout_seconds=BLOCK_CHECK_TIMEOUT_SECONDS
            )
        except (BadGateway, GatewayTimeout, ServiceUnavailable) as exc:
            log.warning("block check fell back to the replica", extra={"error": exc.detail})
        pairs = await self.replica.active_pairs((account_id, user_id) for account_id in among)
        return {blocker_id for blocker_id, _ in pairs}
