"""Markers of what posts removed before its invitation was opened here (events can overtake)."""

from datetime import datetime

from invitations.coauthoring.rules import InvitationRemoval
from invitations.core.rules import Transition
from shared.mongo import Database

# Posts whose post.deleted has been seen: a late post.created must not open invitations on them.
DELETED_POSTS = "deleted_posts"
# Invitations whose post.coauthor_removed has been seen: a late post.created or
# post.coauthor_invited opens them already closed.
REMOVED_INVITATIONS = "removed_invitations"


class RemovalRepository:
    def __init__(self, db: Database) -> None:
        self._deleted_posts = db[DELETED_POSTS]
        self._removals = db[REMOVED_INVITATIONS]

    async def record_deleted_post(self, post_id: str, deleted_at: datetime) -> None:
        await self._deleted_posts.update_one(
            {"_id": post_id}, {"$setOnInsert": {"deleted_at": deleted_at}}, upsert=True
        )

    async def is_post_deleted(self, post_id: str) -> bool:
        return await self._deleted_posts.find_one({"_id": post_id}, {"_id": 1}) is not None

    async def record_removal(self, removal: InvitationRemoval) -> None:
        """The first removal seen for an invitation is the one kept."""
        await self._removals.update_one(
            {"_id": removal.invitation_id},
            {
                "$setOnInsert": {
                    "transition": removal.transition.value,
                    "cancel_reason": removal.cancel_reason,
                    "removed_at": removal.removed_at,
                }
            },
            upsert=True,
        )

    async def removal_of(self, invitation_id: str) -> InvitationRemoval | None:
        doc = await self._removals.find_one({"_id": invitation_id})
        if doc is None:
            return None
        return InvitationRemoval(
            invitation_id=invitation_id,
            transition=Transition(doc["transition"]),
            cancel_reason=doc.get("cancel_reason"),
            removed_at=doc["removed_at"],
        )
