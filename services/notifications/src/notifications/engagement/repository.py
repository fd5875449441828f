"""Like groups: the one `post.liked` notification per recipient and post, kept in the
notifications collection and changed by a compare-and-set on its `version`."""

from collections.abc import Sequence

from pymongo.errors import DuplicateKeyError

from notifications.core.repository import NOTIFICATIONS
from notifications.core.rules import NotificationType
from notifications.engagement.rules import Liker
from shared.clock import utc_now
from shared.mongo import Database, Document


class LikeGroupRepository:
    def __init__(self, db: Database) -> None:
        self._groups = db[NOTIFICATIONS]

    async def get(self, group_id: str) -> Document | None:
        return await self._groups.find_one({"_id": group_id})

    async def write(self, group_id: str, group: Document | None, fields: Document) -> bool:
        """Insert the group, or change it unless it changed since `group` was read."""
        if group is None:
            try:
                await self._groups.insert_one({"_id": group_id, "version": 1, **fields})
            except DuplicateKeyError:
                return False
            return True
        result = await self._groups.update_one(
            {"_id": group_id, "version": group["version"]},
            {"$set": fields, "$inc": {"version": 1}},
        )
        return result.modified_count == 1


def likers_of(group: Document | None) -> list[Liker]:
    return [(entry["id"], entry["at"]) for entry in group["likers"]] if group else []


def liker_documents(likers: Sequence[Liker]) -> list[Document]:
    return [{"id": liker_id, "at": at} for liker_id, at in likers]


def group_fields(
    recipient_id: str,
    post_id: str,
    likers: Sequence[Liker],
    seq: int,
    *,
    preview: str | None = None,
) -> Document:
    """A group's fields when it is (re)opened: unread, with a new sequence number."""
    return {
        "recipient_id": recipient_id,
        "seq": seq,
        "type": str(NotificationType.POST_LIKED),
        "actor_id": likers[-1][0] if likers else None,
        "post_id": post_id,
        "invitation_id": None,
        "likers": liker_documents(likers),
        "count": len(likers),
        "preview": preview,
        # The change feed finds notifications by when they were (re)stored.
        "created_at": utc_now(),
        "read": False,
        "withdrawn": False,
    }
