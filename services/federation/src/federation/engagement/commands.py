"""Remote likes, announces and replies of local posts, and their Undo and Delete, turned into
facts (`federation.remote_*`) for the services that own likes, replies and shares: each
activity once (its document is written with its fact), an undo only by the activity's own
actor. Whether the post exists, is visible, or an author blocks the remote account is for the
posts service, where the write happens."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.core.remote import RemoteActor
from federation.core.urls import LocalUrls
from federation.engagement.repository import RemoteEngagement, RemoteEngagements
from federation.engagement.rules import (
    Announced,
    Liked,
    NoteDeleted,
    Replied,
    Undone,
    engagement_of,
)
from shared.clock import utc_now
from shared.events import EventData
from shared.events.federation import (
    RemoteAnnounceReceived,
    RemoteLikeReceived,
    RemoteLikeUndone,
    RemoteReplyDeleted,
    RemoteReplyReceived,
)
from shared.outbox import Outbox
from shared.remote_accounts import remote_user_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngagementCommands:
    urls: LocalUrls
    engagements: RemoteEngagements
    outbox: Outbox

    async def receive(self, activity: dict[str, Any], sender: RemoteActor) -> None:
        """Acts on what `activity` does to a local post; anything else is logged and left."""
        match engagement_of(activity, self.urls):
            case Liked() | Announced() | Replied() as received:
                await self._received(received, sender)
            case Undone() as undone:
                await self._undone(undone, sender)
            case NoteDeleted(note_id):
                reply = await self.engagements.reply_of(note_id, sender.id)
                if reply is None:
                    _ignored(activity)
                else:
                    await self._undo(reply, activity.get("id") or note_id)
            case None:
                _ignored(activity)

    async def _received(self, received: Liked | Announced | Replied, sender: RemoteActor) -> None:
        engagement = RemoteEngagement(
            activity_id=received.activity_id,
            kind=_KIND_OF[type(received)],
            actor_id=sender.id,
            user_id=remote_user_id(sender.id),
            post_id=received.post_id,
            received_at=utc_now(),
            note_id=received.note_id if isinstance(received, Replied) else None,
            reply_id=received.reply_id if isinstance(received, Replied) else None,
        )
        fact = _fact_of(received, engagement)
        with self.outbox.publishing(fact) as events:
            if not await self.engagements.record(engagement, events):
                log.info("activity already taken", extra={"activity": received.activity_id})

    async def _undone(self, undone: Undone, sender: RemoteActor) -> None:
        """An Undo by id alone names what this service received; one embedding its activity
        is taken as the activity says, received here or not (an Undo may overtake its Like)."""
        known = await self.engagements.get(undone.activity_id)
        if known is None and undone.kind is not None and undone.post_id is not None:
            known = RemoteEngagement(
                activity_id=undone.activity_id,
                kind=undone.kind,
                actor_id=sender.id,
                user_id=remote_user_id(sender.id),
                post_id=undone.post_id,
                received_at=utc_now(),
            )
        if known is None or known.actor_id != sender.id or known.kind == "Create":
            log.info("undo of nothing taken here", extra={"activity": undone.activity_id})
            return
        await self._undo(known, undone.activity_id)

    async def _undo(self, engagement: RemoteEngagement, undo_id: str) -> None:
        at = utc_now()
        fact = _undoing_fact(engagement, at)
        with self.outbox.publishing(*([fact] if fact else [])) as events:
            if not await self.engagements.undo(engagement, at, events):
                log.info("activity already undone", extra={"activity": undo_id})


# The type of the activity each decision comes from (what an Undo embedding it names).
_KIND_OF: dict[type[Liked | Announced | Replied], str] = {
    Liked: "Like",
    Announced: "Announce",
    Replied: "Create",
}


def _ignored(activity: dict[str, Any]) -> None:
    log.info(
        "activity not about engagement with a local post, ignored",
        extra={"activity": activity.get("id"), "type": activity["type"]},
    )


def _fact_of(received: Liked | Announced | Replied, engagement: RemoteEngagement) -> EventData:
    user_id, at = engagement.user_id, engagement.received_at
    activity_id, post_id = engagement.activity_id, engagement.post_id
    match received:
        case Liked():
            return RemoteLikeReceived(
                activity_id=activity_id, user_id=user_id, post_id=post_id, received_at=at
            )
        case Announced():
            return RemoteAnnounceReceived(
                activity_id=activity_id, user_id=user_id, post_id=post_id, received_at=at
            )
        case Replied(note_id=note_id, reply_id=reply_id, text=text):
            return RemoteReplyReceived(
                activity_id=activity_id,
                user_id=user_id,
                post_id=post_id,
                reply_id=reply_id,
                note_id=note_id,
                text=text,
                received_at=at,
            )


def _undoing_fact(engagement: RemoteEngagement, at: datetime) -> EventData | None:
    """What an Undo or a Delete tells the owning service (an undone share tells nothing)."""
    activity_id, user_id, post_id = engagement.activity_id, engagement.user_id, engagement.post_id
    if engagement.kind == "Create" and engagement.reply_id is not None:
        return RemoteReplyDeleted(
            activity_id=activity_id,
            user_id=user_id,
            post_id=post_id,
            reply_id=engagement.reply_id,
            deleted_at=at,
        )
    if engagement.kind == "Announce":
        return None
    return RemoteLikeUndone(activity_id=activity_id, user_id=user_id, post_id=post_id, undone_at=at)
