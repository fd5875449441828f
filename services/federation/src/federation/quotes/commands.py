"""Remixes across servers as FEP-044f quotes, both ways, fed into the posts service's one remix
state machine. Outbound: a local remix of a remote post sends a QuoteRequest; the quoted
author's Accept (checked against the authorization it names), Reject, or later Delete of the
authorization become facts that approve, reject or revoke the remix. Inbound: a remote
QuoteRequest of a local post becomes a fact the posts service answers from the author's remix
settings; its answers (post.remix_*) are sent back as Accept, Reject, or Delete of the
authorization this service serves. Each activity counts only from the actor it concerns and
only from the state it moves on from, so a forged, repeated or reordered one changes nothing."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.core.activities import local_activity, local_delivery
from federation.core.notes import text_of
from federation.core.remote import RemoteActor, RemoteActors, RemoteRefused
from federation.core.urls import LocalUrls
from federation.delivery.rules import delivery_as
from federation.following.repository import RemoteFollowers
from federation.publishing.repository import PublishedNotes
from federation.quotes.repository import Quotes, QuoteStatus
from federation.quotes.rules import (
    QUOTE_VOCABULARY,
    confirms,
    instrument_of,
    local_remix_of_remote,
    named_request_id,
    of_local_original,
    request_answered,
    same_server,
)
from federation.remote_posts.repository import RemoteNotes
from federation.remote_posts.rules import (
    NOTE_TYPES,
    attributed_to,
    deleted_object_id,
    note_time,
    note_url,
)
from shared.clock import utc_now
from shared.events import EventData
from shared.events.federation import (
    ActivityDeliveryRequested,
    RemoteQuoteAuthorized,
    RemoteQuoteRejected,
    RemoteQuoteRequested,
    RemoteQuoteRevoked,
)
from shared.events.posts import PostRemixRequested, RemixEvent
from shared.outbox import Outbox
from shared.remote_accounts import is_remote_user_id, remote_post_id, remote_user_id
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QuoteCommands:
    urls: LocalUrls
    directory: UserDirectory
    actors: RemoteActors
    quotes: Quotes
    published: PublishedNotes
    remote_notes: RemoteNotes
    followers: RemoteFollowers
    outbox: Outbox

    # -- outbound: a local remix of a remote post ----------------------------------------

    async def remix_requested(self, delivery: Delivery[PostRemixRequested]) -> None:
        """A local remix of a remote post waits for its author's server: ask it."""
        remix = delivery.event
        if not local_remix_of_remote(remix):
            return
        if await self.quotes.get(remix.remix_id) is not None:
            return  # asked already (a repeated delivery)
        user = await self.directory.get(remix.remix_author_id)
        actor = await self.actors.by_user_id(remix.original_author_id)
        quoted = await self.remote_notes.by_post_id(remix.original_id)
        if user is None or actor is None or quoted is None:
            log.warning("quote request not sent", extra={"remix": remix.remix_id})
            return
        # The instrument is the remix's Note by URL: it is served at it.
        sent = local_delivery(
            "QuoteRequest",
            user.id,
            user.handle,
            quoted["_id"],
            actor.inbox,
            self.urls,
            **QUOTE_VOCABULARY,
            instrument=self.urls.post(remix.remix_id),
        )
        quote = {
            "_id": remix.remix_id,
            "direction": "outbound",
            "request_id": sent.activity["id"],
            "actor_id": actor.id,
            "original_id": remix.original_id,
            "quoted_note": quoted["_id"],
            "quote_note": self.urls.post(remix.remix_id),
            "local_author_id": user.id,
            "status": "pending",
            "requested_at": utc_now(),
        }
        with self.outbox.publishing(sent) as events:
            await self.quotes.insert(quote, events)

    async def accepted(self, accept: dict[str, Any], sender: RemoteActor) -> None:
        quote = await self._asked_of(sender, accept)
        result = accept.get("result")
        if quote is None or not isinstance(result, str):
            return
        if not await self._authorization_holds(result, quote, sender):
            log.info("quote authorization refused", extra={"authorization": result})
            return
        now = utc_now()
        authorized = RemoteQuoteAuthorized(
            **_told_by(sender, quote, accept.get("id") or result),
            authorization=result,
            authorized_at=now,
        )
        await self._move(quote, "approved", now, [authorized], authorization=result)

    async def rejected(self, reject: dict[str, Any], sender: RemoteActor) -> None:
        quote = await self._asked_of(sender, reject)
        if quote is None:
            return
        now = utc_now()
        told = _told_by(sender, quote, reject.get("id") or quote["request_id"])
        rejected = RemoteQuoteRejected(**told, rejected_at=now)
        await self._move(quote, "rejected", now, [rejected])

    async def deleted(self, delete: dict[str, Any], sender: RemoteActor) -> None:
        """A Delete of an authorization the sender gave a local remix revokes it."""
        target = deleted_object_id(delete)
        quote = await self.quotes.by_authorization(target) if target else None
        if quote is None or not _asked(quote, sender) or quote["status"] != "approved":
            return
        now = utc_now()
        told = _told_by(sender, quote, delete.get("id") or quote["authorization"])
        revoked = RemoteQuoteRevoked(**told, revoked_at=now)
        await self._move(quote, "revoked", now, [revoked])

    async def _asked_of(self, sender: RemoteActor, answer: dict[str, Any]) -> dict[str, Any] | None:
        """The local remix whose QuoteRequest `answer` answers, if it was sent to `sender` and
        waits for its answer."""
        request_id = named_request_id(answer)
        quote = await self.quotes.by_request(request_id) if request_id else None
        if quote is None or not _asked(quote, sender) or quote["status"] != "pending":
            return None
        return quote

    async def _authorization_holds(
        self, authorization: str, quote: dict[str, Any], sender: RemoteActor
    ) -> bool:
        """FEP-044f: the stamp lives on the quoted author's server and says it is theirs, for
        this quote of this post."""
        if not same_server(authorization, sender.id):
            return False
        try:
            stamp = await self.actors.fetch(authorization)
        except RemoteRefused:
            return False
        return stamp.get("id") == authorization and confirms(
            stamp, sender.id, quote["quote_note"], quote["quoted_note"]
        )

    # -- inbound: a remote quote of a local post -----------------------------------------

    async def requested(self, request: dict[str, Any], sender: RemoteActor) -> None:
        """Kept with the fact the posts service answers it from; a request of a deleted local
        post is refused at once; one of no local post, or whose quote post is not the
        sender's, is ignored."""
        target = request.get("object")
        original_id = self.urls.post_id_of(target) if isinstance(target, str) else None
        stored = await self.published.get(original_id) if original_id else None
        note = await self._quote_post(request, sender)
        if stored is None or stored.post.status == "unknown" or note is None or "id" not in request:
            log.info("quote request not taken", extra={"activity": request.get("id")})
            return
        now = utc_now()
        quote = {
            "_id": remote_post_id(note["id"]),
            "direction": "inbound",
            "request_id": request["id"],
            "actor_id": sender.id,
            "inbox": sender.delivery_inbox,
            "original_id": stored.post.post_id,
            "quoted_note": self.urls.post(stored.post.post_id),
            "quote_note": note["id"],
            "local_author_id": stored.post.author_id,
            "status": "pending",
            "requested_at": now,
        }
        if not stored.post.public:
            await self._refuse_deleted(quote, now)
            return
        published = note_time(note, "published") or now
        requested = RemoteQuoteRequested(
            activity_id=request["id"],
            remix_id=quote["_id"],
            original_id=stored.post.post_id,
            note_id=note["id"],
            url=note_url(note),
            author_id=remote_user_id(sender.id),
            text=text_of(note.get("content")),
            published_at=published,
            requested_at=now,
        )
        with self.outbox.publishing(requested) as events:
            if not await self.quotes.insert(quote, events):
                return
        # Its Updates and Deletes then reach the post as any remote post's do.
        remote_note = {
            "_id": note["id"],
            "post_id": quote["_id"],
            "actor_id": sender.id,
            "updated_at": note_time(note, "updated") or published,
            "deleted_at": None,
        }
        await self.remote_notes.insert(remote_note, [])

    async def _refuse_deleted(self, quote: dict[str, Any], now: datetime) -> None:
        """Nothing to authorize: the author's Reject, sent once."""
        author = await self.directory.get(quote["local_author_id"])
        if author is None:
            return
        reject = self._to_quoter(quote, author.handle, "Reject", request_answered(quote))
        with self.outbox.publishing(*reject) as events:
            await self.quotes.insert({**quote, "status": "rejected", "rejected_at": now}, events)

    async def _quote_post(
        self, request: dict[str, Any], sender: RemoteActor
    ) -> dict[str, Any] | None:
        """The quote post (the request's instrument, embedded or fetched), if it is a public
        Note of the sender's on the sender's server."""
        instrument = instrument_of(request)
        if isinstance(instrument, str):
            if not same_server(instrument, sender.id):
                return None
            try:
                instrument = await self.actors.fetch(instrument)
            except RemoteRefused:
                return None
        if instrument is None or instrument.get("type") not in NOTE_TYPES:
            return None
        note_id = instrument.get("id")
        if not isinstance(note_id, str) or not same_server(note_id, sender.id):
            return None
        return instrument if attributed_to(instrument) == sender.id else None

    async def remix_answered(self, delivery: Delivery[RemixEvent]) -> None:
        """The local original's authors (or its deletion) decided on a remix of it: a remote
        quote is told, and the authorization served here follows."""
        answered = delivery.event
        if not of_local_original(answered):
            return  # a local remix of a remote post: that post's server decides
        author = await self.directory.get(answered.original_author_id)
        if author is None:
            return
        quote = await self.quotes.get(answered.remix_id)
        if quote is None:
            await self._local_remix_approved(answered, author.handle)
            return
        now = utc_now()
        handle = author.handle
        match answered.status, quote["status"]:
            case "approved", "pending":
                # The Accept names the authorization served here.
                authorization = self.urls.quote_authorization(handle, quote["_id"])
                quote = {**quote, "authorization": authorization}
                asked = request_answered(quote)
                sent = self._to_quoter(quote, handle, "Accept", asked, result=authorization)
                await self._move(quote, "approved", now, sent, authorization=authorization)
            case "rejected", "pending":
                sent = self._to_quoter(quote, handle, "Reject", request_answered(quote))
                await self._move(quote, "rejected", now, sent)
            case (("revoked" | "removed"), "approved"):
                # FEP-044f's revocation: a Delete of the authorization, to every server
                # that may show the quote.
                sent = await self._to_all_who_saw(quote, handle)
                await self._move(quote, "revoked", now, sent)

    async def _local_remix_approved(self, answered: RemixEvent, handle: str) -> None:
        """A local remix of a local post: its authorization is served here like a remote
        quote's, so the remix's Note can link it."""
        if answered.status != "approved" or is_remote_user_id(answered.remix_author_id):
            return
        quote = {
            "_id": answered.remix_id,
            "direction": "local",
            "original_id": answered.original_id,
            "quoted_note": self.urls.post(answered.original_id),
            "quote_note": self.urls.post(answered.remix_id),
            "local_author_id": answered.original_author_id,
            "authorization": self.urls.quote_authorization(handle, answered.remix_id),
            "status": "approved",
            "approved_at": utc_now(),
        }
        await self.quotes.insert(quote, [])

    async def _move(
        self,
        quote: dict[str, Any],
        status: QuoteStatus,
        at: datetime,
        sent: Sequence[EventData],
        **changes: object,
    ) -> None:
        """The quote moved on to `status` in the one write that carries what it tells."""
        with self.outbox.publishing(*sent) as events:
            await self.quotes.move(quote, status, at, events, **changes)

    async def _to_all_who_saw(
        self, quote: dict[str, Any], handle: str
    ) -> list[ActivityDeliveryRequested]:
        """The original's author's (`handle`'s) Delete of the quote's authorization, to the
        quoter's server and to every server following the author (each inbox once), so
        wherever the quote was shown it is dropped."""
        author_id = quote["local_author_id"]
        inboxes = set(await self.followers.delivery_inboxes([author_id]))
        if quote["direction"] == "inbound":
            inboxes.add(quote["inbox"])
        revocation = local_activity(
            "Delete", handle, quote["authorization"], self.urls, **QUOTE_VOCABULARY
        )
        return [
            delivery_as(author_id, handle, inbox, revocation, self.urls)
            for inbox in sorted(inboxes)
        ]

    def _to_quoter(
        self, quote: dict[str, Any], handle: str, kind: str, obj: object, **fields: Any
    ) -> list[ActivityDeliveryRequested]:
        """The original's author's (`handle`'s) `kind` activity about `obj`, to a remote quote's
        server; a local remix needs none."""
        if quote["direction"] != "inbound":
            return []
        author_id, inbox = quote["local_author_id"], quote["inbox"]
        fields = QUOTE_VOCABULARY | fields
        return [local_delivery(kind, author_id, handle, obj, inbox, self.urls, **fields)]


def _asked(quote: dict[str, Any], sender: RemoteActor) -> bool:
    """Whether `quote` is a local remix whose QuoteRequest went to `sender`."""
    return bool(quote["direction"] == "outbound" and quote["actor_id"] == sender.id)


def _told_by(sender: RemoteActor, quote: dict[str, Any], activity_id: str) -> dict[str, Any]:
    """What each fact of the quoted author's answer (`activity_id`) says of the local remix."""
    return {
        "activity_id": activity_id,
        "remix_id": quote["_id"],
        "original_id": quote["original_id"],
        "author_id": remote_user_id(sender.id),
    }
