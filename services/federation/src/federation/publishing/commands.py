"""Sending local posts to remote followers: one Create per receiving server (its shared
inbox), whichever of the post's authors its accounts follow."""

from dataclasses import dataclass

from federation.core.urls import LocalUrls
from federation.following.repository import RemoteFollowers
from federation.publishing.repository import PublishedNotes
from federation.publishing.rules import create_of, note_of
from shared.clock import utc_now
from shared.events.federation import ActivityDeliveryRequested
from shared.events.posts import PostPublished
from shared.outbox import Outbox
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class PublishingCommands:
    federating: bool
    urls: LocalUrls
    directory: UserDirectory
    followers: RemoteFollowers
    notes: PublishedNotes
    outbox: Outbox

    async def post_published(self, delivery: Delivery[PostPublished]) -> None:
        post = delivery.event
        authors = [post.author_id, *post.coauthor_ids]
        inboxes = await self.followers.delivery_inboxes(authors) if self.federating else []
        if not inboxes:
            return
        found = await self.directory.get_many(authors)
        handles = [found[user_id].handle for user_id in authors if user_id in found]
        if post.author_id not in found:
            return
        note = note_of(post, handles, self.urls)
        create = create_of(note, found[post.author_id].handle, self.urls)
        key_id = self.urls.key_id(found[post.author_id].handle)
        deliveries = [
            ActivityDeliveryRequested(
                sender_id=post.author_id,
                key_id=key_id,
                inbox=inbox,
                activity=create,
                requested_at=utc_now(),
            )
            for inbox in inboxes
        ]
        stored = {"_id": post.post_id, "note": note, "inboxes": inboxes}
        with self.outbox.publishing(*deliveries) as events:
            await self.notes.add_once(stored, events)
