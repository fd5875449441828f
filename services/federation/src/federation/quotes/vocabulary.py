"""The JSON-LD terms of FEP-044f quotes, as Mastodon 4.5 and GoToSocial write them: the Note's
and the activities' `@context` both name them."""

from typing import Any

FEP_044F = "https://w3id.org/fep/044f#"
GTS_NS = "https://gotosocial.org/ns#"
# The terms FEP-044f and Mastodon 4.5 use, with the older readers' names for the quote.
QUOTE_CONTEXT: dict[str, Any] = {
    "QuoteRequest": f"{FEP_044F}QuoteRequest",
    "QuoteAuthorization": f"{FEP_044F}QuoteAuthorization",
    "quote": {"@id": f"{FEP_044F}quote", "@type": "@id"},
    "quoteAuthorization": {"@id": f"{FEP_044F}quoteAuthorization", "@type": "@id"},
    "quoteUrl": "as:quoteUrl",
    "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
    "gts": GTS_NS,
    "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
    "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
    "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
    "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
    "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
    "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"},
}
