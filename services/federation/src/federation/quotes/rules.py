"""FEP-044f quotes, free of I/O: the activities a local account sends (QuoteRequest, its
Accept with a QuoteAuthorization, Reject, Delete of the authorization), the authorization it
serves, a remix Note's quote fields, and what a remote server's activities name."""

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls
from federation.publishing.rules import PUBLIC, timestamp
from federation.quotes.vocabulary import QUOTE_CONTEXT
from shared.events.posts import PostRemixRequested, RemixEvent
from shared.remote_accounts import is_remote_user_id

ACTIVITY_CONTEXT: list[Any] = [AS_CONTEXT, QUOTE_CONTEXT]
# What every quote activity a local account sends says beyond a local activity's defaults.
QUOTE_VOCABULARY: dict[str, Any] = {"@context": ACTIVITY_CONTEXT}


def local_remix_of_remote(remix: PostRemixRequested) -> bool:
    """Whether a remix is a local account's of a remote post, whose server is asked."""
    return is_remote_user_id(remix.original_author_id) and not is_remote_user_id(
        remix.remix_author_id
    )


def of_local_original(answered: RemixEvent) -> bool:
    """Whether an answered remix is of a local post (a remote one's server decides)."""
    return not is_remote_user_id(answered.original_author_id)


def interaction_policy(automatic: bool) -> dict[str, Any]:
    """Anyone may ask to quote a local post: admitted at once when its author admits remixes
    automatically (everyone, automatic), else each request waits for the author's answer."""
    approval = "automaticApproval" if automatic else "manualApproval"
    return {"canQuote": {approval: [PUBLIC]}}


def request_answered(quote: dict[str, Any]) -> dict[str, Any]:
    """The QuoteRequest of a remote quote, as the Accept or Reject of it embeds it."""
    return {
        "id": quote["request_id"],
        "type": "QuoteRequest",
        "actor": quote["actor_id"],
        "object": quote["quoted_note"],
        "instrument": quote["quote_note"],
    }


def authorization_of(quote: dict[str, Any], handle: str, urls: LocalUrls) -> dict[str, Any]:
    """The QuoteAuthorization the original's author serves while the remix stands."""
    return {
        "@context": ACTIVITY_CONTEXT,
        "id": quote["authorization"],
        "type": "QuoteAuthorization",
        "attributedTo": urls.actor(handle),
        "interactingObject": quote["quote_note"],
        "interactionTarget": quote["quoted_note"],
    }


def tombstone_of(quote: dict[str, Any], gone_at: datetime) -> dict[str, Any]:
    return {
        "@context": ACTIVITY_CONTEXT,
        "id": quote["authorization"],
        "type": "Tombstone",
        "formerType": "QuoteAuthorization",
        "deleted": timestamp(gone_at),
    }


def quote_fields(quoted_note: str, authorization: str | None) -> dict[str, Any]:
    """What a remix's Note says of its original: FEP-044f's `quote`, Misskey's and the older
    readers' names for it, and the authorization once there is one."""
    fields: dict[str, Any] = {
        "quote": quoted_note,
        "quoteUrl": quoted_note,
        "_misskey_quote": quoted_note,
    }
    if authorization is not None:
        fields["quoteAuthorization"] = authorization
    return fields


def named_request_id(answer: dict[str, Any]) -> str | None:
    """The QuoteRequest an Accept or Reject answers: its object, by id or embedded."""
    target = answer.get("object")
    if isinstance(target, dict):
        target = target.get("id")
    return target if isinstance(target, str) else None


def instrument_of(request: dict[str, Any]) -> dict[str, Any] | str | None:
    instrument = request.get("instrument")
    return instrument if isinstance(instrument, (dict, str)) else None


def same_server(url: str, actor_id: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(actor_id).netloc.lower() != ""


def confirms(
    authorization: dict[str, Any], actor_id: str, quote_note: str, quoted_note: str
) -> bool:
    """Whether a fetched authorization is the quoted author's stamp for this very quote."""
    return (
        authorization.get("type") == "QuoteAuthorization"
        and authorization.get("attributedTo") == actor_id
        and authorization.get("interactingObject") == quote_note
        and authorization.get("interactionTarget") == quoted_note
    )
