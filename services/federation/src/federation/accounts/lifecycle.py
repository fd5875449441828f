"""A remote account's end or move, told by its own actor: a `Delete` of the actor itself
(`federation.remote_account_deleted`: the users service deletes the account as a local one's
deletion does) and a `Move` to a new actor that names the old one in its `alsoKnownAs`
(`federation.remote_account_moved`: the users service moves the local followers)."""

import logging
from dataclasses import dataclass
from typing import Any

from federation.core.remote import RemoteActor, RemoteActors, RemoteRefused
from federation.domain_blocks.queries import DomainBlocks
from federation.following.repository import RemoteFollowers
from shared.clock import utc_now
from shared.events.federation import RemoteAccountDeleted, RemoteAccountMoved
from shared.outbox import Outbox
from shared.problems import Unprocessable
from shared.remote_accounts import remote_user_id

log = logging.getLogger(__name__)


class MoveUnverified(Unprocessable):
    """A Move whose target does not confirm it (422): nothing is moved."""


@dataclass(frozen=True, slots=True)
class RemoteAccountLifecycle:
    actors: RemoteActors
    followers: RemoteFollowers
    outbox: Outbox
    domain_blocks: DomainBlocks

    async def deleted(self, delete: dict[str, Any], sender: RemoteActor) -> None:
        """Takes a Delete of the sender's own actor; any other Delete is not this one's."""
        if not deletes_its_actor(delete) or delete["actor"] != sender.id:
            return
        now = utc_now()
        gone = RemoteAccountDeleted(
            activity_id=delete.get("id"), user_id=remote_user_id(sender.id), deleted_at=now
        )
        with self.outbox.publishing(gone) as events:
            await self.actors.gone(sender.id, now, events)
        await self.followers.end_all_of(sender.id, now)

    async def moved(self, move: dict[str, Any], sender: RemoteActor) -> None:
        """A Move of the sender to `target`, taken once the new actor (fetched now, and kept
        and announced like any) lists the old one in its `alsoKnownAs`."""
        target = move.get("target")
        if _object_id(move) != sender.id or not isinstance(target, str):
            raise MoveUnverified("A Move moves its own actor to a target actor.")
        if self.domain_blocks.covers(target):
            raise MoveUnverified("The Move's target is on a domain this server blocks.")
        try:
            new = await self.actors.by_actor_url(target)
        except RemoteRefused as exc:
            raise MoveUnverified(f"The Move's target cannot be fetched: {exc}") from exc
        if sender.id not in new.also_known_as or new.id == sender.id:
            raise MoveUnverified("The Move's target does not name its actor in alsoKnownAs.")
        now = utc_now()
        moved = RemoteAccountMoved(
            activity_id=move.get("id"),
            from_user_id=remote_user_id(sender.id),
            to_user_id=remote_user_id(new.id),
            moved_at=now,
        )
        with self.outbox.publishing(moved) as events:
            await self.actors.gone(sender.id, now, events)
        log.info("remote account moved", extra={"from": sender.id, "to": new.id})


def deletes_its_actor(activity: dict[str, Any]) -> bool:
    """A Delete of its own actor: once its server has forgotten the actor, the key it was
    signed with is only the one kept here (Mastodon sends these long after)."""
    return activity.get("type") == "Delete" and _object_id(activity) == activity.get("actor")


def _object_id(activity: dict[str, Any]) -> str | None:
    target = activity.get("object")
    if isinstance(target, dict):
        target = target.get("id")
    return target if isinstance(target, str) else None
