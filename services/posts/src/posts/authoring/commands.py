"""Writing posts: creating one (with its co-authors' invitations and, for a remix, its link to
the original, as co-authoring and remixing decide them) and deleting one."""

import logging
from dataclasses import dataclass

from posts.authoring.rules import NewInvitation, create_post, delete_post, validate_new_post
from posts.authoring.schemas import CreatePostRequest
from posts.coauthoring.commands import CoauthoringCommands
from posts.coauthoring.rules import remove_deleted_account
from posts.core.commands import PostCommands, new_id
from posts.core.queries import PostQueries
from posts.core.repository import StoredPost
from posts.core.rules import Change, NotPostAuthor, Post, PostNotFound
from posts.engagement.commands import EngagementCommands
from posts.media.client import MediaAttachments
from posts.remixing.commands import RemixingCommands
from posts.remixing.rules import creation_events
from posts.settings import PostsSettings
from shared.clock import utc_now
from shared.events.federation import RemoteReplyDeleted
from shared.problems import AccountGone
from shared.public_post import PostOut
from shared.subscriptions import Delivery

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuthoringCommands:
    settings: PostsSettings
    core: PostCommands
    queries: PostQueries
    coauthoring: CoauthoringCommands
    remixing: RemixingCommands
    engagement: EngagementCommands
    media: MediaAttachments

    async def create(self, author_id: str, body: CreatePostRequest) -> PostOut:
        request = validate_new_post(
            body.text,
            body.coauthor_handles,
            credits=body.coauthor_credits,
            max_coauthors=self.settings.max_coauthors,
            max_text_length=self.settings.max_text_length,
            with_media=bool(body.media_ids),
        )
        await self.core.require_live_account(author_id)
        await self.core.require_features(
            author_id, coauthoring=bool(request.handles), remix=bool(body.remix_of)
        )
        original = (
            await self.remixing.original_to_remix(body.remix_of, author_id)
            if body.remix_of is not None
            else None
        )
        invitees = await self.coauthoring.eligible_invitees(author_id, request.handles)
        author = await self.core.author_snapshot(author_id)
        now = utc_now()
        remix_of = await self.remixing.link_to(original, author_id, now) if original else None
        await self.coauthoring.spend_invite_budget(author_id, len(invitees), now)
        post_id = new_id()
        # Last, once everything else is known to be fine: the uploads are taken for this post.
        media = await self.media.attach(
            author_id, post_id, body.media_ids, public=body.publish_mode == "now"
        )
        change = create_post(
            post_id=post_id,
            author_id=author_id,
            request=request,
            publish_mode=body.publish_mode,
            invitees=[
                NewInvitation(invitee.user_id, new_id(), request.credit_of(index))
                for index, invitee in enumerate(invitees)
            ],
            now=now,
            remix_of=remix_of,
            media=media,
        )
        if original is not None:
            change = Change(change.post, change.events + creation_events(change.post, original))
        snapshots = [u for u in (author, *(i.user for i in invitees)) if u is not None]
        await self.core.insert(change, snapshots)
        await self._undo_if_author_deleted_meanwhile(change.post)
        return await self.queries.render(
            StoredPost(change.post, {u.id: u for u in snapshots}), author_id
        )

    async def delete(self, post_id: str, actor_id: str) -> None:
        change = await self.core.apply(post_id, lambda post: delete_post(post, actor_id, utc_now()))
        await self.engagement.forget_likes_of(post_id)
        if change.post.reply_to is not None:
            await self.engagement.settle_reply(post_id)

    async def remote_reply_deleted(self, delivery: Delivery[RemoteReplyDeleted]) -> None:
        """As its author's own DELETE; a reply not there (refused, or deleted already) or not
        theirs is nothing to do."""
        fact = delivery.event
        try:
            await self.delete(fact.reply_id, fact.user_id)
        except (PostNotFound, NotPostAuthor):
            log.info("remote reply deleted: nothing to delete", extra={"reply_id": fact.reply_id})

    async def _undo_if_author_deleted_meanwhile(self, post: Post) -> None:
        """user.deleted may have been handled between the check and the insert, too late to
        find this post: delete it as that handler would have (post.deleted and all).

        The directory's handler writes its tombstone before co-authoring's looks for the
        account's posts (the order the handlers declare), and this looks for the tombstone
        after the insert, so one of the two always sees the other.
        """
        if not await self.core.is_account_deleted(post.author_id):
            return
        await self.core.apply_if_present(
            # Just written, it has no accepted co-author to hand it to.
            post.id,
            lambda current: remove_deleted_account(current, post.author_id, "delete", utc_now()),
        )
        raise AccountGone()
