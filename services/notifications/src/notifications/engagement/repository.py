"""Like and reply groups: the one `post.liked` (`post.replied`) notification per recipient
and post, kept in the notifications collection and changed by a compare-and-set on its
`version`."""

from collections.abc import Sequence

from pymongo.errors import DuplicateKeyError

from notifications.core.repository import NOTIFICATIONS
from notifications.core.rules import NotificationType, preview_of
from notifications.engagement.rules import GroupedReply, Liker
from shared.clock import utc_now
from shared.mongo import Database, Document


class GroupRepository:
    def __init__(self, db: Database) -> None:
        self._groups = db[NOTIFICATIONS]

    async def get(self, group_id: str) -> Document | None:
        return await self._groups.find_one({"_id": group_id})

    async def ids_with_reply(self, reply_id: str) -> list[str]:
        """The reply groups holding this reply (one per credited author, at most)."""
        cursor = self._groups.find({REPLY_IDS: reply_id}, {"_id": 1})
        return [document["_id"] async for document in cursor]

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


# Where a reply group lists its replies' ids (indexed: a removed reply finds its groups).
REPLY_IDS = "replies.id"


def replies_of(group: Document | None) -> list[GroupedReply]:
    if not group:
        return []
    return [GroupedReply(r["id"], r["replier_id"], r["at"], r["text"]) for r in group["replies"]]


def reply_group_fields(
    recipient_id: str, post_id: str, replies: Sequence[GroupedReply]
) -> Document:
    """What a reply group says of its replies: the latest replier and a preview of its reply."""
    latest = replies[-1] if replies else None
    fields: Document = {
        "recipient_id": recipient_id,
        "type": str(NotificationType.POST_REPLIED),
        "post_id": post_id,
        "invitation_id": None,
        "replies": [
            {"id": r.id, "replier_id": r.replier_id, "at": r.at, "text": r.text} for r in replies
        ],
        "count": len(replies),
    }
    if latest is not None:
        fields |= {"actor_id": latest.replier_id, "preview": preview_of(latest.text)}
    return fields


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
