"""Remote posts taken in: a Create of a Note by an account local users follow (or addressed to
one of them) becomes a fact the posts service makes a post of; an Update newer than the last
version (its text, content warning and media, read as a Create's) and a Delete follow it.
Each Note is taken once (by its id), and only its own author may change it. Its remote
co-authors are credited only on their own consent stamps."""

import logging
from dataclasses import dataclass
from typing import Any

from federation.core.notes import text_of
from federation.core.remote import RemoteActor
from federation.core.urls import LocalUrls
from federation.followees.repository import RemoteFollowees
from federation.remote_credits.commands import RemoteCredits
from federation.remote_posts.repository import RemoteNotes
from federation.remote_posts.rules import (
    addressed_here,
    attachments_of,
    attributed_to,
    created_note,
    deleted_object_id,
    note_time,
    note_url,
    summary_of,
)
from shared.clock import utc_now
from shared.events.federation import RemotePostDeleted, RemotePostEdited, RemotePostReceived
from shared.outbox import Outbox
from shared.remote_accounts import remote_post_id, remote_user_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RemotePostCommands:
    urls: LocalUrls
    followees: RemoteFollowees
    notes: RemoteNotes
    credits: RemoteCredits
    outbox: Outbox

    async def created(self, create: dict[str, Any], sender: RemoteActor) -> None:
        note = created_note(create)
        if note is None:
            log.info("Create of no post taken in", extra={"activity": create.get("id")})
            return
        if not (await self.followees.is_followed(sender.id) or addressed_here(note, self.urls)):
            return  # nobody here asked for it
        await self.take(note, sender, create.get("id") or note["id"])

    async def take(self, note: dict[str, Any], sender: RemoteActor, activity_id: str) -> str:
        """Takes in `note`, one of `sender`'s (`created_note`), once: its post's id here."""
        now = utc_now()
        published = note_time(note, "published") or now
        received = RemotePostReceived(
            activity_id=activity_id,
            post_id=remote_post_id(note["id"]),
            note_id=note["id"],
            url=note_url(note),
            author_id=remote_user_id(sender.id),
            text=text_of(note.get("content")),
            published_at=published,
            coauthor_ids=await self.credits.consenting_coauthors(note),
            summary=summary_of(note),
            attachments=attachments_of(note),
        )
        stored = {
            "_id": note["id"],
            "post_id": received.post_id,
            "actor_id": sender.id,
            "updated_at": note_time(note, "updated") or published,
            "deleted_at": None,
        }
        with self.outbox.publishing(received) as events:
            await self.notes.insert(stored, events)
        return received.post_id

    async def updated(self, update: dict[str, Any], sender: RemoteActor) -> None:
        note = update.get("object")
        if not isinstance(note, dict) or not isinstance(note.get("id"), str):
            return
        stored = await self._own_note(note["id"], sender)
        edited_at = note_time(note, "updated") or utc_now()
        if stored is None or attributed_to(note) != sender.id or edited_at <= stored["updated_at"]:
            return  # not ours to change, or not newer than what was taken
        edited = RemotePostEdited(
            activity_id=update.get("id") or note["id"],
            post_id=stored["post_id"],
            author_id=remote_user_id(sender.id),
            text=text_of(note.get("content")),
            edited_at=edited_at,
            coauthor_ids=await self.credits.consenting_coauthors(note),
            summary=summary_of(note),
            attachments=attachments_of(note),
        )
        with self.outbox.publishing(edited) as events:
            await self.notes.update(stored, {"updated_at": edited_at}, events)

    async def deleted(self, delete: dict[str, Any], sender: RemoteActor) -> None:
        note_id = deleted_object_id(delete)
        stored = await self._own_note(note_id, sender) if note_id else None
        if stored is None:
            return
        now = utc_now()
        deleted = RemotePostDeleted(
            activity_id=delete.get("id") or stored["_id"],
            post_id=stored["post_id"],
            author_id=remote_user_id(sender.id),
            deleted_at=now,
        )
        with self.outbox.publishing(deleted) as events:
            await self.notes.update(stored, {"deleted_at": now}, events)

    async def _own_note(self, note_id: str, sender: RemoteActor) -> dict[str, Any] | None:
        """The live Note taken in with this id, if `sender` is its author."""
        stored = await self.notes.get(note_id)
        if stored is None or stored["actor_id"] != sender.id or stored["deleted_at"] is not None:
            return None
        return stored
