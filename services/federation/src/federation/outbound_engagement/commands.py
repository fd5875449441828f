"""Local accounts' engagement with remote posts, sent to the servers of the posts' authors: a
like as a Like, its end as Undo(Like), a reply as the Create of a public Note (served at its
own URL while it stands), its deletion as a Delete. Each is one write carrying its deliveries,
once; engagement with local posts, or by remote accounts, is not this slice's."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.core.remote import RemoteActors
from federation.core.urls import LocalUrls
from federation.delivery.rules import delivery_as
from federation.outbound_engagement.repository import SentEngagements
from federation.outbound_engagement.rules import like_of, reply_delete_of, reply_note_of, undo_of
from federation.publishing.rules import create_of, document_of
from federation.remote_posts.repository import RemoteNotes
from shared.events.posts import PostLiked, PostReplied, PostReplyRemoved, PostUnliked
from shared.mongo import Document
from shared.outbox import Outbox
from shared.public_user import PublicUser
from shared.remote_accounts import is_remote_user_id
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RemoteTarget:
    """A remote post a local account engaged with: its Note, its authors' actors and where
    their servers take activities (shared inboxes when known, each once)."""

    user: PublicUser
    note_id: str
    author_actor_ids: list[str]
    inboxes: list[str]


@dataclass(frozen=True, slots=True)
class OutboundEngagementCommands:
    federating: bool
    urls: LocalUrls
    directory: UserDirectory
    actors: RemoteActors
    remote_notes: RemoteNotes
    sent: SentEngagements
    outbox: Outbox

    async def post_liked(self, delivery: Delivery[PostLiked]) -> None:
        liked = delivery.event
        target = await self._remote_target(liked.post_id, liked.liker_id, liked.author_ids)
        if target is None:
            return
        like = like_of(target.user.handle, liked.post_id, liked.like_seq, target.note_id, self.urls)
        record = {"kind": "Like", "like_seq": liked.like_seq, "activity": like}
        await self._send(like["id"], record, like, liked.post_id, target)

    async def post_unliked(self, delivery: Delivery[PostUnliked]) -> None:
        unliked = delivery.event
        if is_remote_user_id(unliked.liker_id):
            return
        like = await self.sent.live_like(unliked.post_id, unliked.liker_id, unliked.like_seq)
        if like is not None:
            await self._take_back(like, undo_of(like["activity"]), unliked.unliked_at)

    async def post_replied(self, delivery: Delivery[PostReplied]) -> None:
        replied = delivery.event
        target = await self._remote_target(replied.post_id, replied.replier_id, replied.author_ids)
        if target is None:
            return
        handle = target.user.handle
        note = reply_note_of(
            replied.reply_id,
            handle,
            replied.reply_text,
            target.note_id,
            target.author_actor_ids,
            replied.replied_at,
            self.urls,
        )
        record = {"kind": "Reply", "reply_id": replied.reply_id, "note": note}
        await self._send(
            note["id"], record, create_of(note, handle, self.urls), replied.post_id, target
        )

    async def reply_removed(self, delivery: Delivery[PostReplyRemoved]) -> None:
        removed = delivery.event
        reply = await self.sent.get(self.urls.post(removed.reply_id))
        if reply is None or reply["ended_at"] is not None:
            return  # not a reply to a remote post, or deleted there already
        delete = reply_delete_of(removed.reply_id, reply["handle"], removed.removed_at, self.urls)
        await self._take_back(reply, delete, removed.removed_at)

    async def reply_note(self, reply_id: str) -> dict[str, Any] | None:
        """The Note of a local reply to a remote post, while it stands (its id is its URL)."""
        reply = await self.sent.get(self.urls.post(reply_id))
        if reply is None or reply["kind"] != "Reply" or reply["ended_at"] is not None:
            return None
        return document_of(reply["note"])

    async def _remote_target(
        self, post_id: str, user_id: str, author_ids: tuple[str, ...]
    ) -> RemoteTarget | None:
        """Where a local account's engagement with `post_id` goes, if it is a remote post."""
        remote_authors = [a for a in author_ids if is_remote_user_id(a)]
        if not self.federating or is_remote_user_id(user_id) or not remote_authors:
            return None
        note = await self.remote_notes.by_post_id(post_id)
        user = await self.directory.get(user_id)
        actors = [actor for a in remote_authors if (actor := await self.actors.by_user_id(a))]
        if note is None or user is None or not actors:
            log.warning("engagement with a remote post not sent", extra={"post": post_id})
            return None
        inboxes = sorted({actor.delivery_inbox for actor in actors})
        return RemoteTarget(user, note["_id"], [actor.id for actor in actors], inboxes)

    async def _send(
        self,
        sent_id: str,
        record: Document,
        activity: dict[str, Any],
        post_id: str,
        target: RemoteTarget,
    ) -> None:
        user = target.user
        sent = {
            **record,
            "_id": sent_id,
            "post_id": post_id,
            "user_id": user.id,
            "handle": user.handle,
            "inboxes": target.inboxes,
        }
        deliveries = [
            delivery_as(user.id, user.handle, inbox, activity, self.urls)
            for inbox in target.inboxes
        ]
        with self.outbox.publishing(*deliveries) as events:
            await self.sent.record(sent, events)

    async def _take_back(self, sent: Document, activity: dict[str, Any], at: datetime) -> None:
        """`activity` (an Undo or a Delete) to every server the original went to, once."""
        deliveries = [
            delivery_as(sent["user_id"], sent["handle"], inbox, activity, self.urls)
            for inbox in sent["inboxes"]
        ]
        with self.outbox.publishing(*deliveries) as events:
            await self.sent.end(sent, at, events)
