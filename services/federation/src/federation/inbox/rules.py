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
    """The activity a body carries: a JSON object with a string type and actor, and an id if
    any. Ids are optional because servers send activities without one (GoToSocial's `Delete`,
    as its documentation shows); such an activity cannot be recognised when repeated."""
    try:
        activity = json.loads(body)
    except ValueError as exc:
        raise BadRequest("The body is not JSON.") from exc
    if not isinstance(activity, dict) or not all(
        isinstance(activity.get(field), str) for field in ("type", "actor")
    ):
        raise BadRequest("An activity needs a type and an actor.")
    if not isinstance(activity.get("id", ""), str):
        raise BadRequest("An activity's id is a URL.")
    return activity
