"""What the fediverse reads of quotes here: the QuoteAuthorization an original's author serves
(410 once revoked), and what a local post's Note says of quoting (who may ask, and for a
remix its original and authorization)."""

from dataclasses import dataclass
from typing import Any

from federation.core.urls import LocalUrls
from federation.publishing.rules import LocalPost
from federation.quotes.policies import QuotePolicies
from federation.quotes.repository import Quotes
from federation.quotes.rules import (
    authorization_of,
    interaction_policy,
    quote_fields,
    tombstone_of,
)
from federation.remote_posts.repository import RemoteNotes
from shared.problems import NotFound
from shared.remote_accounts import is_remote_post_id
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class ServedAuthorization:
    document: dict[str, Any]
    gone: bool


@dataclass(frozen=True, slots=True)
class QuoteQueries:
    urls: LocalUrls
    directory: UserDirectory
    quotes: Quotes
    remote_notes: RemoteNotes
    policies: QuotePolicies

    async def authorization(self, handle: str, remix_id: str) -> ServedAuthorization:
        """404 unless this account's post was quoted by that remix with its consent."""
        user = await self.directory.by_handle(handle)
        quote = await self.quotes.get(remix_id) if user else None
        if (
            user is None
            or quote is None
            or quote["direction"] == "outbound"
            or quote["local_author_id"] != user.id
            or quote.get("authorization") is None
        ):
            raise NotFound("There is no such quote authorization here.")
        if quote["status"] == "approved":
            return ServedAuthorization(authorization_of(quote, user.handle, self.urls), gone=False)
        return ServedAuthorization(tombstone_of(quote, quote["revoked_at"]), gone=True)

    async def note_fields(self, post: LocalPost) -> dict[str, Any]:
        """Every Note says who may ask to quote it and whether they need its author's approval;
        a remix's names its original and, once approved, the authorization."""
        automatic = await self.policies.automatic_for(post.author_id)
        fields: dict[str, Any] = {"interactionPolicy": interaction_policy(automatic)}
        if post.remix_of_post_id is None:
            return fields
        quote = await self.quotes.get(post.post_id)
        if quote is not None:
            approved = quote["status"] == "approved"
            authorization = quote.get("authorization") if approved else None
            return fields | quote_fields(quote["quoted_note"], authorization)
        if not is_remote_post_id(post.remix_of_post_id):
            return fields | quote_fields(self.urls.post(post.remix_of_post_id), None)
        quoted = await self.remote_notes.by_post_id(post.remix_of_post_id)
        return fields | quote_fields(quoted["_id"], None) if quoted else fields
