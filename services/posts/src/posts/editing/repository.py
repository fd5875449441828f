"""Finding the posts whose proposed edit waits past its time (the proposal lives on the post)."""

from datetime import datetime

from posts.core.repository import POSTS
from shared.mongo import Database, IndexSpec

EDITING_INDEXES = [IndexSpec(POSTS, [("edit.status", 1), ("edit.expires_at", 1)])]
# Bounded work per sweep; the next pass takes the rest.
SWEEP_BATCH = 100


class EditRepository:
    def __init__(self, db: Database) -> None:
        self._posts = db[POSTS]

    async def with_pending_edit_due(self, now: datetime) -> list[str]:
        cursor = self._posts.find(
            {"edit.status": "pending", "edit.expires_at": {"$lte": now}}, {"_id": 1}
        ).limit(SWEEP_BATCH)
        return [document["_id"] async for document in cursor]
