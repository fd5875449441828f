"""An activity a local account sends, built the one way every capability builds it."""

import uuid
from typing import Any

from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls
from federation.delivery.rules import delivery_as
from shared.events.federation import ActivityDeliveryRequested


def local_activity(
    kind: str, handle: str, obj: object, urls: LocalUrls, **fields: Any
) -> dict[str, Any]:
    """`handle`'s `kind` activity about `obj`, with an id of its own under the actor; `fields`
    (its addressing, a result, another @context) are added or replace the defaults."""
    actor = urls.actor(handle)
    activity = {
        "@context": AS_CONTEXT,
        "id": f"{actor}#{kind.lower()}s/{uuid.uuid4()}",
        "type": kind,
        "actor": actor,
        "object": obj,
    }
    return activity | fields


def local_delivery(
    kind: str,
    sender_id: str,
    handle: str,
    obj: object,
    inbox: str,
    urls: LocalUrls,
    **fields: Any,
) -> ActivityDeliveryRequested:
    """The local account `sender_id`'s (`handle`'s) `kind` activity about `obj`, built as
    `local_activity` builds it, to deliver to `inbox` signed as them."""
    activity = local_activity(kind, handle, obj, urls, **fields)
    return delivery_as(sender_id, handle, inbox, activity, urls)


def object_id_of(activity: dict[str, Any]) -> str | None:
    """The id of what an activity is about: its object, named by id or embedded."""
    target = activity.get("object")
    if isinstance(target, dict):
        target = target.get("id")
    return target if isinstance(target, str) else None
