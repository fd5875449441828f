"""What an inbox refuses, and what it takes an activity to be."""

import json
from typing import Any

from shared.problems import BadRequest, Forbidden, Unauthorized


class SignatureRequired(Unauthorized):
    """The request is not signed by the actor of the activity it carries (401)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers = {"WWW-Authenticate": 'Signature realm="inbox"'}


class DomainBlocked(Forbidden):
    """The operators of this instance block the sender's domain (403)."""


def activity_of(body: bytes) -> dict[str, Any]:
    """The activity a body carries: a JSON object with a string id, type and actor."""
    try:
        activity = json.loads(body)
    except ValueError as exc:
        raise BadRequest("The body is not JSON.") from exc
    if not isinstance(activity, dict) or not all(
        isinstance(activity.get(field), str) for field in ("id", "type", "actor")
    ):
        raise BadRequest("An activity needs an id, a type and an actor.")
    return activity
