"""Invitations to co-author across servers, one document per invitation (its id): `sent`,
of a remote account to a local post (the Invite sent, the invited actor's answer, their stamp's
URL), or `received`, of a local account to a remote post (the Invite taken, our user's answer,
the stamp served for it). Each write carries what it sends or tells."""

from pymongo.errors import DuplicateKeyError

from federation.publishing.rules import RemoteCoauthor
from shared.events import EventEnvelope
from shared.mongo import Database, Document, IndexSpec
from shared.outbox import outbox_fields, with_events

REMOTE_INVITATIONS = "remote_invitations"
REMOTE_INVITATIONS_INDEXES = [
    IndexSpec(REMOTE_INVITATIONS, [("actor_id", 1), ("invite_id", 1)]),
    IndexSpec(REMOTE_INVITATIONS, [("actor_id", 1), ("stamp_url", 1)]),
    IndexSpec(REMOTE_INVITATIONS, [("post_id", 1), ("invitee_id", 1)]),
]
SENT: Document = {"direction": "sent"}
RECEIVED: Document = {"direction": "received"}


class RemoteInvitations:
    def __init__(self, db: Database) -> None:
        self._invitations = db[REMOTE_INVITATIONS]

    async def start(self, invitation: Document, events: list[EventEnvelope]) -> bool:
        """False for an invitation stored already (a repeated event or Invite)."""
        document = {**invitation, "state": "pending", **outbox_fields(events)}
        try:
            await self._invitations.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, invitation_id: str) -> Document | None:
        return await self._invitations.find_one({"_id": invitation_id})

    async def by_invite(self, actor_id: str, invite_id: str) -> Document | None:
        """The invitation whose Invite `invite_id` was sent to `actor_id`."""
        return await self._invitations.find_one(
            {"actor_id": actor_id, "invite_id": invite_id, **SENT}
        )

    async def received_by_invite(self, actor_id: str, invite_id: str) -> Document | None:
        """Our user's invitation by the Invite `invite_id` that `actor_id` sent."""
        return await self._invitations.find_one(
            {"actor_id": actor_id, "invite_id": invite_id, **RECEIVED}
        )

    async def accepted_by(self, post_id: str, invitee_id: str) -> Document | None:
        """The accepted invitation that credits a remote account on a local post."""
        return await self._invitations.find_one(
            {"post_id": post_id, "invitee_id": invitee_id, "state": "accepted", **SENT}
        )

    async def by_stamp(self, actor_id: str, stamp_url: str) -> Document | None:
        return await self._invitations.find_one(
            {"actor_id": actor_id, "stamp_url": stamp_url, "state": "accepted", **SENT}
        )

    async def received(self, invitation_id: str) -> Document | None:
        return await self._invitations.find_one({"_id": invitation_id, **RECEIVED})

    async def consented(self, post_id: str, invitee_id: str) -> Document | None:
        """A local account's latest acceptance of an invitation to a remote post (`state`
        accepted, left once they left, removed once the author removed them)."""
        query = {"post_id": post_id, "invitee_id": invitee_id, **RECEIVED}
        found = self._invitations.find(query | {"state": {"$in": ["accepted", "left", "removed"]}})
        latest = [document async for document in found.sort("answered_at", -1).limit(1)]
        return latest[0] if latest else None

    async def change(
        self, invitation: Document, changes: Document, events: list[EventEnvelope]
    ) -> bool:
        """Writes `changes` unless another answer changed the invitation since it was read."""
        result = await self._invitations.update_one(
            {"_id": invitation["_id"], "state": invitation["state"]},
            with_events({"$set": changes}, events),
        )
        return result.modified_count == 1

    async def coauthors_of(self, post_id: str) -> dict[str, RemoteCoauthor]:
        """By user id, the remote accounts who accepted to co-author the post: whom its Note
        credits is the posts service's word; this is where to find them and their consent."""
        found = self._invitations.find({"post_id": post_id, "stamp_url": {"$ne": None}, **SENT})
        return {
            document["invitee_id"]: RemoteCoauthor(
                document["actor_id"], document["stamp_url"], document["inbox"]
            )
            async for document in found
        }
