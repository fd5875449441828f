"""The invitations collection: each invitation with the outbox of its changes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from pymongo.errors import DuplicateKeyError

from invitations.core.rules import InvitationFacts, InvitationStatus
from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import WITHOUT_OUTBOX, outbox_fields, with_events
from shared.personal_data import PersonalRecords
from shared.public_user import PublicUser

INVITATIONS = "invitations"
# The invitations the person sent and received.
INVITATION_PERSONAL_DATA = (
    PersonalRecords(
        "invitations.json",
        INVITATIONS,
        lambda user: {"$or": [{"inviter_id": user}, {"invitee_id": user}]},
    ),
)

INVITATION_INDEXES = [
    IndexSpec(INVITATIONS, [("invitee_id", 1), ("created_at", -1), ("_id", -1)]),
    IndexSpec(INVITATIONS, [("inviter_id", 1), ("created_at", -1), ("_id", -1)]),
    IndexSpec(INVITATIONS, [("post_id", 1), ("status", 1)]),
    IndexSpec(INVITATIONS, [("status", 1), ("expires_at", 1)]),
]


@dataclass(frozen=True)
class InvitationRecord:
    """An invitation as stored, with the user snapshots taken when it was opened."""

    id: str
    post_id: str
    inviter_id: str
    invitee_id: str
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    cancel_reason: str | None
    inviter_snapshot: PublicUser | None
    invitee_snapshot: PublicUser | None
    # What the invitee is credited for, and the post's text, as the invitation was made.
    credit: str | None = None
    post_text: str = ""
    # The post's media (ids, in the order shown): shown to the invitation's participants.
    post_media_ids: tuple[str, ...] = ()

    @property
    def facts(self) -> InvitationFacts:
        return InvitationFacts(
            id=self.id,
            post_id=self.post_id,
            inviter_id=self.inviter_id,
            invitee_id=self.invitee_id,
            status=self.status,
        )

    def to_document(self) -> Document:
        return {
            "_id": self.id,
            "post_id": self.post_id,
            "inviter_id": self.inviter_id,
            "invitee_id": self.invitee_id,
            "status": self.status.value,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "responded_at": self.responded_at,
            "closed_at": None,
            "cancel_reason": self.cancel_reason,
            "inviter": _snapshot_document(self.inviter_snapshot),
            "invitee": _snapshot_document(self.invitee_snapshot),
            "credit": self.credit,
            "post_text": self.post_text,
            "post_media_ids": list(self.post_media_ids),
        }

    @classmethod
    def from_document(cls, doc: Document) -> Self:
        return cls(
            id=doc["_id"],
            post_id=doc["post_id"],
            inviter_id=doc["inviter_id"],
            invitee_id=doc["invitee_id"],
            status=InvitationStatus(doc["status"]),
            created_at=doc["created_at"],
            expires_at=doc["expires_at"],
            responded_at=doc.get("responded_at"),
            cancel_reason=doc.get("cancel_reason"),
            inviter_snapshot=_snapshot(doc.get("inviter")),
            invitee_snapshot=_snapshot(doc.get("invitee")),
            credit=doc.get("credit"),
            post_text=doc.get("post_text", ""),
            post_media_ids=tuple(doc.get("post_media_ids", ())),
        )


@dataclass(frozen=True)
class ListPosition:
    """Where a page of a list ends: the sort key of its last invitation."""

    created_at: datetime
    invitation_id: str


class InvitationRepository:
    def __init__(self, db: Database) -> None:
        self._invitations = db[INVITATIONS]

    async def refresh_post_text(self, post_id: str, text: str, version: int) -> None:
        """The post's text as of `version`, on its invitations that show an older one."""
        older = [{"post_text_version": {"$lt": version}}, {"post_text_version": None}]
        await self._invitations.update_many(
            {"post_id": post_id, "$or": older},
            {"$set": {"post_text": text, "post_text_version": version}},
        )

    async def insert(self, record: InvitationRecord, events: Sequence[EventEnvelope]) -> bool:
        """Write a new invitation with its events; False when that id exists (a redelivery)."""
        document = record.to_document()
        document |= outbox_fields(events)
        try:
            await self._invitations.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, invitation_id: str) -> InvitationRecord | None:
        doc = await self._invitations.find_one({"_id": invitation_id}, WITHOUT_OUTBOX)
        return InvitationRecord.from_document(doc) if doc else None

    async def transition(
        self,
        invitation_id: str,
        *,
        from_status: InvitationStatus,
        changes: Document,
        events: Sequence[EventEnvelope],
    ) -> bool:
        """Apply `changes` only if the invitation is still in `from_status`; True if it was.

        The status condition is what makes concurrent writers (two replicas' expiry sweeps, an
        accept racing a cancellation) safe: the loser's update matches nothing.
        """
        result = await self._invitations.update_one(
            {"_id": invitation_id, "status": from_status.value},
            with_events({"$set": changes}, events),
        )
        return result.modified_count == 1

    async def pending_ids_of_post(self, post_id: str) -> list[str]:
        return await self._pending_ids({"post_id": post_id})

    async def pending_ids_of_invitee_on_post(self, post_id: str, invitee_id: str) -> list[str]:
        return await self._pending_ids({"post_id": post_id, "invitee_id": invitee_id})

    async def pending_ids_involving(self, user_id: str) -> list[str]:
        return await self._pending_ids({"$or": [{"inviter_id": user_id}, {"invitee_id": user_id}]})

    async def pending_ids_between(self, user_a: str, user_b: str) -> list[str]:
        return await self._pending_ids(
            {
                "$or": [
                    {"inviter_id": user_a, "invitee_id": user_b},
                    {"inviter_id": user_b, "invitee_id": user_a},
                ]
            }
        )

    async def due_ids(self, now: datetime, limit: int) -> list[str]:
        return await self._pending_ids({"expires_at": {"$lte": now}}, limit=limit)

    async def _pending_ids(self, query: Document, *, limit: int = 0) -> list[str]:
        cursor = self._invitations.find(
            {**query, "status": InvitationStatus.PENDING.value}, {"_id": 1}
        )
        if limit:
            cursor = cursor.limit(limit)
        return [doc["_id"] async for doc in cursor]

    async def list_page(
        self,
        *,
        participant_field: str,
        user_id: str,
        status: InvitationStatus | None,
        after: ListPosition | None,
        limit: int,
    ) -> list[InvitationRecord]:
        """Newest first by (created_at, _id); `after` continues below a previous page."""
        query: Document = {participant_field: user_id}
        if status is not None:
            query["status"] = status.value
        if after is not None:
            query["$or"] = [
                {"created_at": {"$lt": after.created_at}},
                {"created_at": after.created_at, "_id": {"$lt": after.invitation_id}},
            ]
        cursor = (
            self._invitations.find(query, WITHOUT_OUTBOX)
            .sort([("created_at", -1), ("_id", -1)])
            .limit(limit)
        )
        return [InvitationRecord.from_document(doc) async for doc in cursor]


def _snapshot_document(user: PublicUser | None) -> Document | None:
    return user.model_dump() if user else None


def _snapshot(doc: dict[str, Any] | None) -> PublicUser | None:
    return PublicUser.model_validate(doc) if doc else None
