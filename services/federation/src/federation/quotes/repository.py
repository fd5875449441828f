"""One document per remix that crosses servers (or whose authorization is served here), by the
remix's post id: which way it goes, the QuoteRequest's id, the remote actor, where it stands
and its authorization. Each change is a conditional write from the state it read, carrying
the fact or delivery it causes, so a repeated or reordered activity changes nothing."""

from datetime import datetime
from typing import Literal

from pymongo.errors import DuplicateKeyError

from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import WITHOUT_OUTBOX, outbox_fields, with_events

QUOTES = "quotes"
QUOTES_INDEXES = [
    IndexSpec(QUOTES, [("request_id", 1)]),
    IndexSpec(QUOTES, [("authorization", 1)]),
]
# outbound: a local remix of a remote post; inbound: a remote quote of a local post; local: a
# local remix of a local post (its authorization is served here too).
type QuoteDirection = Literal["outbound", "inbound", "local"]
type QuoteStatus = Literal["pending", "approved", "rejected", "revoked"]


class Quotes:
    def __init__(self, db: Database) -> None:
        self._quotes = db[QUOTES]

    async def get(self, remix_id: str) -> Document | None:
        return await self._quotes.find_one({"_id": remix_id}, WITHOUT_OUTBOX)

    async def by_request(self, request_id: str) -> Document | None:
        return await self._quotes.find_one({"request_id": request_id}, WITHOUT_OUTBOX)

    async def by_authorization(self, authorization: str) -> Document | None:
        return await self._quotes.find_one({"authorization": authorization}, WITHOUT_OUTBOX)

    async def insert(self, quote: Document, events: list[EventEnvelope]) -> bool:
        """False for a remix known already (a repeated request)."""
        try:
            await self._quotes.insert_one({**quote, **outbox_fields(events)})
        except DuplicateKeyError:
            return False
        return True

    async def move(
        self,
        quote: Document,
        status: QuoteStatus,
        at: datetime,
        events: list[EventEnvelope],
        **changes: object,
    ) -> bool:
        """Moves the quote on from the status it was read in; False when another write did."""
        update = with_events({"$set": {"status": status, f"{status}_at": at, **changes}}, events)
        result = await self._quotes.update_one(
            {"_id": quote["_id"], "status": quote["status"]}, update
        )
        return result.modified_count == 1
