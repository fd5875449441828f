"""The use cases that read one user's notifications, rendered with their actors."""

from dataclasses import dataclass

from notifications.core.repository import NotificationRepository
from notifications.core.schemas import Notification, NotificationPage
from shared.mongo import Document
from shared.pagination import cursor_counter, decode_cursor, encode_cursor
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class NotificationQueries:
    repository: NotificationRepository
    directory: UserDirectory

    async def page_for(
        self, recipient_id: str, *, unread_only: bool, limit: int, cursor: str | None
    ) -> NotificationPage:
        before_seq = _seq_of(cursor) if cursor else None
        found = await self.repository.page(
            recipient_id, unread_only=unread_only, before_seq=before_seq, limit=limit + 1
        )
        shown = found[:limit]
        next_cursor = encode_cursor({"seq": shown[-1]["seq"]}) if len(found) > limit else None
        return NotificationPage(
            items=await self.render(shown),
            next_cursor=next_cursor,
            unread_count=await self.repository.unread_count(recipient_id),
        )

    async def render(self, documents: list[Document]) -> list[Notification]:
        actors = await self.directory.get_many(
            doc["actor_id"] for doc in documents if doc.get("actor_id")
        )
        return [
            Notification(
                id=doc["_id"],
                type=doc["type"],
                actor=actors.get(doc["actor_id"]) if doc.get("actor_id") else None,
                post_id=doc.get("post_id"),
                invitation_id=doc.get("invitation_id"),
                created_at=doc["created_at"],
                read=doc["read"],
                count=doc.get("count"),
                preview=doc.get("preview"),
            )
            for doc in documents
        ]


def _seq_of(cursor: str) -> int:
    return cursor_counter(decode_cursor(cursor), "seq")
