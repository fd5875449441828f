"""Remixes across servers (FEP-044f quotes), as the federation service reports them, through
the one remix state machine: a remote account's quote of a local post becomes a remote post
that is a remix of it, admitted, awaiting approval or refused by the original's authors'
settings like a local remix; a local remix of a remote post is approved, rejected or revoked
by that post's author's word from their server. Each fact is idempotent."""

import logging
from dataclasses import dataclass, replace

from pymongo.errors import DuplicateKeyError

from posts.core.commands import PostCommands, new_id
from posts.core.repository import PostRepository
from posts.core.rules import Change, Post, RemixLink, unchanged
from posts.remixing.commands import RemixingCommands
from posts.remixing.rules import OriginsWord, creation_events, origins_word, quote_link
from posts.remote.commands import REMOTE_FIELD
from posts.remote.rules import received_post
from posts.settings import PostsSettings
from shared.clock import utc_now
from shared.events.federation import (
    RemotePostReceived,
    RemoteQuoteAuthorized,
    RemoteQuoteRejected,
    RemoteQuoteRequested,
    RemoteQuoteRevoked,
)
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RemoteQuoteCommands:
    settings: PostsSettings
    core: PostCommands
    posts: PostRepository
    remixing: RemixingCommands
    directory: UserDirectory

    async def quote_requested(self, delivery: Delivery[RemoteQuoteRequested]) -> None:
        quote = delivery.event
        stored = await self.posts.get(quote.original_id)
        if stored is None:
            log.warning("quote of an unknown post", extra={"activity": quote.activity_id})
            return
        original = stored.post
        consent = await self.remixing.consent_to(original, quote.author_id)
        link = quote_link(original, consent, request_id=new_id(), now=quote.requested_at)
        if await self.posts.get(quote.remix_id) is None and await self._insert(
            quote, link, original
        ):
            return
        # Its Create came first (the quoter is followed here): the post becomes the remix.
        await self.core.apply_if_present(
            quote.remix_id, lambda post: _as_remix(post, quote.author_id, link, original)
        )

    async def _insert(self, quote: RemoteQuoteRequested, link: RemixLink, original: Post) -> bool:
        """False when another delivery of the post took it meanwhile."""
        received = RemotePostReceived(
            activity_id=quote.activity_id,
            post_id=quote.remix_id,
            note_id=quote.note_id,
            url=quote.url,
            author_id=quote.author_id,
            text=quote.text,
            published_at=quote.published_at,
        )
        change = received_post(received, self.settings.max_text_length, remix_of=link)
        change = Change(change.post, (*change.events, *creation_events(change.post, original)))
        author = await self.directory.get(quote.author_id)
        origin = {"note_id": quote.note_id, "url": quote.url}
        try:
            await self.core.insert(change, [author] if author else [], extra={REMOTE_FIELD: origin})
        except DuplicateKeyError:
            return False
        return True

    async def quote_authorized(self, delivery: Delivery[RemoteQuoteAuthorized]) -> None:
        fact = delivery.event
        await self._origins_word(fact.remix_id, fact.original_id, fact.author_id, "approved")

    async def quote_rejected(self, delivery: Delivery[RemoteQuoteRejected]) -> None:
        fact = delivery.event
        await self._origins_word(fact.remix_id, fact.original_id, fact.author_id, "rejected")

    async def quote_revoked(self, delivery: Delivery[RemoteQuoteRevoked]) -> None:
        fact = delivery.event
        await self._origins_word(fact.remix_id, fact.original_id, fact.author_id, "revoked")

    async def _origins_word(
        self, remix_id: str, original_id: str, author_id: str, word: OriginsWord
    ) -> None:
        await self.core.apply_if_present(
            remix_id,
            lambda post: origins_word(post, original_id, author_id, word, utc_now()),
        )


def _as_remix(post: Post, author_id: str, link: RemixLink, original: Post) -> Change:
    """A remote post taken in before its quote request: it becomes the remix, once."""
    if post.is_deleted or post.author_id != author_id or post.remix_of is not None:
        return unchanged(post)
    remix = replace(post, remix_of=link)
    return Change(remix, creation_events(remix, original))
