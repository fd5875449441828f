"""A co-author's consent to be credited on a post, as a stamp any server can fetch from the
co-author's own actor: shaped like FEP-044f's QuoteAuthorization (attributedTo the one who
consents, interactingObject the Note that credits them, interactionTarget what it uses: their
credit), with what they are credited for as a schema.org Role. Gone, it is a Tombstone."""

from datetime import datetime
from typing import Any

from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls
from federation.publishing.rules import COPOST_NS, timestamp

STAMP_TYPE = "CoauthorAuthorization"
STAMP_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {
        "copost": COPOST_NS,
        "gts": "https://gotosocial.org/ns#",
        "schema": "http://schema.org/",
        STAMP_TYPE: f"copost:{STAMP_TYPE}",
        "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
        "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"},
        "credit": "copost:credit",
        "Role": "schema:Role",
        "roleName": "schema:roleName",
    },
]


def stamp_of(
    handle: str,
    post_id: str,
    accepted_at: datetime,
    label: str | None,
    urls: LocalUrls,
    *,
    note: str | None = None,
) -> dict[str, Any]:
    """`note`: the Note crediting them, when it is not this instance's post `post_id` (a
    remote author's, taken in here as that post)."""
    actor = urls.actor(handle)
    stamp: dict[str, Any] = {
        "@context": STAMP_CONTEXT,
        "id": urls.coauthorization(handle, post_id),
        "type": STAMP_TYPE,
        "attributedTo": actor,
        "interactingObject": note or urls.post(post_id),
        "interactionTarget": actor,
        "published": timestamp(accepted_at),
    }
    if label is not None:
        stamp["credit"] = {"type": "Role", "roleName": label}
    return stamp


def tombstone_of(handle: str, post_id: str, gone_at: datetime, urls: LocalUrls) -> dict[str, Any]:
    return {
        "@context": STAMP_CONTEXT,
        "id": urls.coauthorization(handle, post_id),
        "type": "Tombstone",
        "formerType": STAMP_TYPE,
        "deleted": timestamp(gone_at),
    }
