"""Delivering an activity to a remote inbox: signed as its local sender (draft-cavage, which
every server verifies), POSTed from the event's consumer, never from a request. A failure the
remote may get over (a network error, 5xx, 429, 408) raises, so the broker retries with its
back-off; a refusal (another 4xx) is final and only logged."""

import json
import logging
from dataclasses import dataclass

import httpx

from federation.core.keys import ActorKeys
from federation.core.remote import ACTIVITY_JSON, RemoteActors, RemoteRefused
from federation.core.signatures import sign_cavage
from shared.clock import utc_now
from shared.events.federation import ActivityDeliveryRequested
from shared.subscriptions import Delivery

log = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({408, 429})


class DeliveryFailed(Exception):
    """The remote inbox did not take the activity this time."""


@dataclass(frozen=True, slots=True)
class Deliveries:
    keys: ActorKeys
    remote: RemoteActors

    async def deliver(self, delivery: Delivery[ActivityDeliveryRequested]) -> None:
        request = delivery.event
        key = await self.keys.of_user(request.sender_id)
        body = json.dumps(request.activity).encode()
        headers = sign_cavage(
            "POST", request.inbox, body, key_id=request.key_id, key=key.private_key, now=utc_now()
        )
        headers["content-type"] = ACTIVITY_JSON
        try:
            answer = await self.remote.post(request.inbox, body, headers)
        except RemoteRefused as exc:
            log.warning("delivery refused", extra={"inbox": request.inbox, "error": str(exc)})
            return
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{request.inbox}: {exc}") from exc
        status = answer.status_code
        if status < 300:
            return
        if status >= 500 or status in RETRIED_STATUSES:
            raise DeliveryFailed(f"{request.inbox} answered {status}")
        log.warning("delivery rejected", extra={"inbox": request.inbox, "status": status})
