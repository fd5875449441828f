"""Keeping remote servers' copies of local posts as the posts service says they are: the
Create once a post is published, an Update when what its Note shows changes (an edit, a
co-author accepting, leaving or removed, a remix's quote approved or revoked, a medium's alt
text changed), a Delete with a Tombstone once it is deleted. Each goes once to every server
that follows any of the post's authors (its shared inbox) or was sent the post before; a
repeated or late event changes nothing, so it sends nothing."""

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from federation.coauthoring.repository import RemoteInvitations
from federation.core.urls import LocalUrls
from federation.delivery.rules import delivery_as
from federation.following.repository import RemoteFollowers
from federation.publishing.repository import PublishedNotes
from federation.publishing.rules import (
    LocalPost,
    Outgoing,
    activity_of,
    alt_text_changed,
    coauthor_added,
    coauthor_removed,
    delete,
    edit,
    handed_over,
    outgoing,
    publish,
    remix_moved,
)
from federation.quotes.queries import QuoteQueries
from shared.events.federation import ActivityDeliveryRequested
from shared.events.media import MediaAltTextChanged
from shared.events.posts import (
    PostCoauthorAdded,
    PostCoauthorRemoved,
    PostDeleted,
    PostEdited,
    PostHandedOver,
    PostPublished,
    RemixEvent,
)
from shared.outbox import Outbox
from shared.remote_accounts import is_remote_user_id
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class PublishingCommands:
    federating: bool
    urls: LocalUrls
    directory: UserDirectory
    followers: RemoteFollowers
    notes: PublishedNotes
    remote_invitations: RemoteInvitations
    outbox: Outbox
    quotes: QuoteQueries

    async def post_published(self, delivery: Delivery[PostPublished]) -> None:
        await self._apply(delivery, publish)

    async def coauthor_added(self, delivery: Delivery[PostCoauthorAdded]) -> None:
        await self._apply(delivery, coauthor_added)

    async def coauthor_removed(self, delivery: Delivery[PostCoauthorRemoved]) -> None:
        await self._apply(delivery, coauthor_removed)

    async def post_edited(self, delivery: Delivery[PostEdited]) -> None:
        await self._apply(delivery, edit)

    async def post_deleted(self, delivery: Delivery[PostDeleted]) -> None:
        await self._apply(delivery, lambda post, event: delete(post, event.deleted_at))

    async def remix_moved(
        self,
        delivery: Delivery[RemixEvent],
    ) -> None:
        """A local remix approved or no longer showing its original: its Note's authorization
        comes or goes (an Update, so servers that checked it see the change)."""
        event = delivery.event
        if is_remote_user_id(event.remix_author_id):
            return  # a remote quote of a local post: its own server publishes it
        await self._change(event.remix_id, delivery.event_id, lambda post: remix_moved(post, event))

    async def post_handed_over(self, delivery: Delivery[PostHandedOver]) -> None:
        """The Note's authors change (an Update), sent as the account that published it."""
        event = delivery.event
        if is_remote_user_id(event.from_author_id):
            return
        await self._change(event.post_id, delivery.event_id, lambda post: handed_over(post, event))

    async def alt_text_changed(self, delivery: Delivery[MediaAltTextChanged]) -> None:
        event = delivery.event
        await self._change(
            event.post_id, delivery.event_id, lambda post: alt_text_changed(post, event)
        )

    async def _apply[
        E: (PostPublished, PostCoauthorAdded, PostCoauthorRemoved, PostEdited, PostDeleted)
    ](self, delivery: Delivery[E], rule: Callable[[LocalPost, E], LocalPost]) -> None:
        """`rule`: how the event changes the post."""
        event = delivery.event
        if is_remote_user_id(event.author_id):
            return  # a remote account's post, taken in here: its own server sent it
        await self._change(event.post_id, delivery.event_id, lambda post: rule(post, event))

    async def _change(
        self, post_id: str, event_id: UUID, change: Callable[[LocalPost], LocalPost]
    ) -> None:
        """One write: the post as changed, with the deliveries the change causes."""
        stored = await self.notes.get(post_id)
        before = stored.post if stored else LocalPost(post_id)
        after = change(before)
        if after == before:
            return
        sent = stored.inboxes if stored else ()
        kind = outgoing(before, after) if self.federating else None
        deliveries = await self._deliveries(kind, after, sent) if kind else []
        inboxes = tuple(sorted({*sent, *(d.inbox for d in deliveries)}))
        with self.outbox.publishing(*deliveries) as events:
            await self.notes.save(stored, after, inboxes, events, event_id)

    async def _deliveries(
        self, kind: Outgoing, post: LocalPost, sent: tuple[str, ...]
    ) -> list[ActivityDeliveryRequested]:
        """The activity to every server concerned, once each, signed as the author. A Create
        goes to the followers of whoever it credits and to its remote co-authors' servers; an
        Update or a Delete also to those of whoever it credited before and to every server
        that has a copy."""
        credited = [post.author_id, *post.coauthor_ids]
        remote = (
            await self.remote_invitations.coauthors_of(post.post_id)
            if any(is_remote_user_id(c) for c in post.everyone_credited)
            else {}
        )
        if kind == "Create":
            reached = await self.followers.delivery_inboxes(credited)
            concerned = credited
        else:
            reached = [*await self.followers.delivery_inboxes(post.everyone_credited), *sent]
            concerned = post.everyone_credited
        # A remote co-author's server keeps its own copy, credited as it is here.
        inboxes = sorted({*reached, *(remote[c].inbox for c in concerned if c in remote)})
        found = await self.directory.get_many([*credited, post.publisher_id])
        if not inboxes or post.author_id not in found:
            return []
        handles = {user_id: user.handle for user_id, user in found.items()}
        # After a hand-over, as the account that published it while that account is here.
        sender_id = post.publisher_id if post.publisher_id in found else post.author_id
        quoting = await self.quotes.note_fields(post)
        activity = activity_of(kind, post, handles, self.urls, remote, quoting, sender_id)
        handle = handles[sender_id]
        return [delivery_as(sender_id, handle, inbox, activity, self.urls) for inbox in inboxes]
