"""An activity a local account sends, built the one way every capability builds it."""

import uuid
from typing import Any

from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls


def local_activity(kind: str, handle: str, obj: object, urls: LocalUrls) -> dict[str, Any]:
    """`handle`'s `kind` activity about `obj`, with an id of its own under the actor."""
    actor = urls.actor(handle)
    return {
        "@context": AS_CONTEXT,
        "id": f"{actor}#{kind.lower()}s/{uuid.uuid4()}",
        "type": kind,
        "actor": actor,
        "object": obj,
    }


def object_id_of(activity: dict[str, Any]) -> str | None:
    """The id of what an activity is about: its object, named by id or embedded."""
    target = activity.get("object")
    if isinstance(target, dict):
        target = target.get("id")
    return target if isinstance(target, str) else None
