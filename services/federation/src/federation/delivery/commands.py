"""Delivering an activity to a remote inbox: signed as its local sender (draft-cavage, which
every server verifies), POSTed from the event's consumer or the sweep, never from a request.

Per remote host, not per message: a host that fails (a network error, 5xx, 429, 408) gets no
attempt until its back-off has passed (doubling with each failure in a row); meanwhile its
deliveries are held in this database and the consumer moves on, so a dead host costs the
others one attempt per back-off, not a wait per message. A host failing for longer than
`DELIVERY_GIVE_UP_SECONDS` is parked: its deliveries stay held (counted, see
`federation.delivery.parked`) and are not attempted until it is heard from again or an
operator redrives them. A refusal (another 4xx) is final and only logged; a blocked domain
gets nothing."""

import asyncio
import json
import logging
from dataclasses import dataclass
from enum import Enum

import httpx

from federation.core.keys import ActorKeys
from federation.core.remote import ACTIVITY_JSON, RemoteActors, RemoteRefused
from federation.core.signatures import sign_cavage
from federation.delivery.repository import HeldDeliveries, RemoteHosts
from federation.delivery.rules import DeliveryPolicy, after_failure, host_of
from federation.domain_blocks.queries import DomainBlocks
from shared.clock import Clock
from shared.events.federation import ActivityDeliveryRequested
from shared.subscriptions import Delivery

log = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({408, 429})
SWEEP_BATCH = 100


class Outcome(Enum):
    TAKEN = "taken"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Deliveries:
    keys: ActorKeys
    remote: RemoteActors
    hosts: RemoteHosts
    held: HeldDeliveries
    policy: DeliveryPolicy
    domain_blocks: DomainBlocks
    clock: Clock

    async def deliver(self, delivery: Delivery[ActivityDeliveryRequested]) -> None:
        request = delivery.event
        if self.domain_blocks.covers(request.inbox):
            log.info("delivery to a blocked domain dropped", extra={"inbox": request.inbox})
            return
        host = host_of(request.inbox)
        health = await self.hosts.health(host)
        if health is not None and health.waiting(self.clock()):
            await self.held.hold(str(delivery.event_id), request, host, at=self.clock())
            return
        if await self._attempt(host, request) is Outcome.FAILED:
            await self.held.hold(str(delivery.event_id), request, host, at=self.clock())

    async def sweep(self) -> None:
        """One pass over the held deliveries: each host whose back-off has passed gets them in
        the order they came, until one fails; hosts are tried side by side."""
        await asyncio.gather(*(self._sweep_host(host) for host in await self.held.hosts()))

    async def heard_from(self, host: str) -> None:
        """A host that sends us a signed activity is up: its back-off (or parking) ends."""
        if await self.hosts.recovered(host):
            log.info("remote host back", extra={"host": host})

    async def _sweep_host(self, host: str) -> None:
        health = await self.hosts.health(host)
        if health is not None and health.waiting(self.clock()):
            return
        for delivery_id, request in await self.held.of_host(host, SWEEP_BATCH):
            if self.domain_blocks.covers(request.inbox):
                await self.held.release(delivery_id)
                continue
            if await self._attempt(host, request) is Outcome.FAILED:
                return
            await self.held.release(delivery_id)

    async def _attempt(self, host: str, request: ActivityDeliveryRequested) -> Outcome:
        """POSTs one activity; records the host's failure or its recovery."""
        outcome = await self._post(request)
        if outcome is Outcome.FAILED:
            health = after_failure(host, await self.hosts.health(host), self.clock(), self.policy)
            await self.hosts.save(health)
            log.warning(
                "remote host failing",
                extra={"host": host, "failures": health.failures, "parked": health.parked},
            )
        else:
            await self.heard_from(host)
        return outcome

    async def _post(self, request: ActivityDeliveryRequested) -> Outcome:
        key = await self.keys.of_user(request.sender_id)
        body = json.dumps(request.activity).encode()
        headers = sign_cavage(
            "POST",
            request.inbox,
            body,
            key_id=request.key_id,
            key=key.private_key,
            now=self.clock(),
        )
        headers["content-type"] = ACTIVITY_JSON
        try:
            answer = await self.remote.post(request.inbox, body, headers)
        except RemoteRefused as exc:
            log.warning("delivery refused", extra={"inbox": request.inbox, "error": str(exc)})
            return Outcome.REFUSED
        except httpx.HTTPError as exc:
            log.info("delivery failed", extra={"inbox": request.inbox, "error": str(exc)})
            return Outcome.FAILED
        status = answer.status_code
        if status < 300:
            return Outcome.TAKEN
        if status >= 500 or status in RETRIED_STATUSES:
            log.info("delivery failed", extra={"inbox": request.inbox, "status": status})
            return Outcome.FAILED
        log.warning("delivery rejected", extra={"inbox": request.inbox, "status": status})
        return Outcome.REFUSED
