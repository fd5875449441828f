"""Taking an activity into an inbox: refused from a blocked domain before anything is fetched,
limited per remote host (the one its signing key names: what it costs us to check it), its
signature verified against its actor's key (fetched and cached), each activity handled
once, then handed to the capability its type belongs to (following, engagement with local
posts, remote posts, co-authoring). A verified activity also tells that
its server is up again (its deliveries' back-off or parking ends)."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from federation.accounts.lifecycle import RemoteAccountLifecycle, deletes_its_actor
from federation.coauthoring.commands import CoauthoringCommands
from federation.core import signatures
from federation.core.remote import RemoteActor, RemoteActors, RemoteRefused
from federation.core.signatures import SignatureRefused, SignedRequest
from federation.delivery.commands import Deliveries
from federation.delivery.rules import host_of
from federation.domain_blocks.queries import DomainBlocks
from federation.engagement.commands import EngagementCommands
from federation.engagement.rules import id_of
from federation.followees.commands import FolloweeCommands
from federation.followees.rules import undoes_an_accept
from federation.following.commands import FollowingCommands
from federation.inbox.repository import ReceivedActivities, UndoneActivities
from federation.inbox.rules import DomainBlocked, SignatureRequired, activity_of
from federation.quotes.commands import QuoteCommands
from federation.remote_posts.commands import RemotePostCommands
from shared.clock import utc_now
from shared.rate_limits import SharedRateLimiter

log = logging.getLogger(__name__)

# What an Undo may take back before it arrived (servers do not promise the order).
UNDOABLE = {"Follow", "Like", "Announce", "Invite"}


@dataclass(frozen=True, slots=True)
class InboxCommands:
    actors: RemoteActors
    received: ReceivedActivities
    following: FollowingCommands
    engagement: EngagementCommands
    followees: FolloweeCommands
    remote_posts: RemotePostCommands
    quotes: QuoteCommands
    coauthoring: CoauthoringCommands
    deliveries: Deliveries
    domain_blocks: DomainBlocks
    limits: SharedRateLimiter
    max_age: timedelta
    lifecycle: RemoteAccountLifecycle
    undone: UndoneActivities

    async def receive(self, request: SignedRequest) -> None:
        activity = activity_of(request.body)
        self._refuse_blocked(activity["actor"], request)
        await self.limits.check(host_of(self._claimed_key_id(request) or activity["actor"]))
        sender = await self.verified_sender(request, kept_if_gone=deletes_its_actor(activity))
        if activity["actor"] != sender.id:
            raise SignatureRequired("The activity's actor is not the one who signed it.")
        await self.deliveries.heard_from(host_of(sender.delivery_inbox))
        activity_id = activity.get("id")
        if activity_id is None:
            await self._handle(activity, sender)
            return
        if not await self.received.claim(activity_id, sender.id):
            log.info("activity already received", extra={"activity": activity_id})
            return
        try:
            await self._handle(activity, sender)
        except BaseException:
            await self.received.release(activity_id)
            raise

    async def signed_fetch(self, request: SignedRequest) -> RemoteActor:
        """The remote actor who signed a GET (authorized fetch), refused like an activity from a
        blocked domain."""
        key_id = self._claimed_key_id(request)
        if not key_id:
            raise SignatureRequired("This server answers signed fetches only.")
        self._refuse_blocked(key_id, request)
        await self.limits.check(host_of(key_id))
        return await self.verified_sender(request)

    def _refuse_blocked(self, actor: str, request: SignedRequest) -> None:
        """Before any key is fetched: neither the actor nor the signing key may be on a blocked
        domain (an unreadable signature is refused later, when verified)."""
        key_id = self._claimed_key_id(request)
        if any(self.domain_blocks.covers(url) for url in (actor, key_id)):
            raise DomainBlocked("This server does not federate with your domain.")

    async def _undone_already(self, activity: dict[str, Any], sender: RemoteActor) -> bool:
        activity_id = activity.get("id")
        return (
            activity["type"] in UNDOABLE
            and isinstance(activity_id, str)
            and await self.undone.was_undone(activity_id, sender.id)
        )

    @staticmethod
    def _claimed_key_id(request: SignedRequest) -> str:
        """The key the request names, unchecked yet ("" when it names none it can read)."""
        try:
            return signatures.claimed_key_id(request)
        except SignatureRefused:
            return ""

    async def verified_sender(
        self, request: SignedRequest, *, kept_if_gone: bool = False
    ) -> RemoteActor:
        """The remote actor whose key signed `request`; a key that fails is fetched again once,
        since the actor may have rotated it since it was cached. `kept_if_gone`: the key kept
        here is used when its server says the actor is gone (see `RemoteActors.by_key_id`)."""
        try:
            key_id = signatures.claimed_key_id(request)
            actor = await self.actors.by_key_id(key_id, kept_if_gone=kept_if_gone)
            try:
                signatures.verify(request, actor.public_key, now=utc_now(), max_age=self.max_age)
            except SignatureRefused:
                actor = await self.actors.by_key_id(key_id, refresh=True, kept_if_gone=kept_if_gone)
                signatures.verify(request, actor.public_key, now=utc_now(), max_age=self.max_age)
        except (SignatureRefused, RemoteRefused) as exc:
            raise SignatureRequired(str(exc)) from exc
        return actor

    async def _handle(self, activity: dict[str, Any], sender: RemoteActor) -> None:
        if await self._undone_already(activity, sender):
            log.info("activity undone before it arrived", extra={"activity": activity["id"]})
            return
        match activity["type"]:
            case "Follow":
                await self.following.follow(activity, sender)
            case "Undo" if undoes_an_accept(activity):
                await self.followees.rejected(activity, sender)
            case "Undo":
                # An Undo naming its activity by id alone may take back a Follow, a Like or an
                # Invite to co-author; remembered in case that activity is still on its way.
                if undone_id := id_of(activity.get("object")):
                    await self.undone.remember(undone_id, sender.id)
                await self.following.undo_follow(activity, sender)
                await self.engagement.receive(activity, sender)
                await self.coauthoring.invite_undone(activity, sender)
            # An answer to a Follow, a QuoteRequest or an Invite to co-author: each takes only
            # its own.
            case "Accept":
                await self.followees.accepted(activity, sender)
                await self.quotes.accepted(activity, sender)
                await self.coauthoring.answered(activity, sender)
            case "Reject":
                await self.followees.rejected(activity, sender)
                await self.quotes.rejected(activity, sender)
                await self.coauthoring.answered(activity, sender)
            case "QuoteRequest":
                await self.quotes.requested(activity, sender)
            case "Like" | "Announce":
                await self.engagement.receive(activity, sender)
            # A reply to a local post (or its deletion) is engagement with that post; any
            # other public Note, a post of its author's. Each takes only what is its own.
            case "Create":
                await self.engagement.receive(activity, sender)
                await self.remote_posts.created(activity, sender)
            case "Delete":
                await self.engagement.receive(activity, sender)
                await self.remote_posts.deleted(activity, sender)
                await self.quotes.deleted(activity, sender)
                await self.coauthoring.withdrawn(activity, sender)
                await self.lifecycle.deleted(activity, sender)
            case "Move":
                await self.lifecycle.moved(activity, sender)
            case "Update":
                await self.remote_posts.updated(activity, sender)
            case "Invite":
                await self.coauthoring.invited(activity, sender)
            case other:
                log.info("activity type not handled yet", extra={"type": other})
