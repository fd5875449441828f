"""Likes and replies, and settling the post's shared counters with each of them.

A like or a reply is written first; *settling* then brings the post's counter in line with
it, announcing the exact new counts in the same write (post.liked / post.unliked /
post.replied / post.reply_removed). Settling is repeatable: the HTTP request settles at
once, handlers settle after blocks and deletions, and a periodic pass settles whatever a
crash left half done. Liking a post costs the same however many likes it has.
"""

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from posts.core.commands import PostCommands, new_id
from posts.core.queries import PostQueries
from posts.core.repository import PostRepository
from posts.core.rules import Change, Counts, InvalidPost, Post, PostNotFound
from posts.engagement.repository import (
    CountChange,
    CountRepository,
    Like,
    LikeRepository,
    ReplyRepository,
)
from posts.engagement.rules import (
    LikeBlocked,
    ReplyBlocked,
    ShareBlocked,
    credited_author_ids,
    like_counts,
    new_reply,
    remote_reply_text,
    require_engageable,
    validate_reply_text,
)
from posts.media.client import MediaAttachments
from posts.settings import PostsSettings
from shared.clock import utc_now
from shared.events import EventData
from shared.events.federation import (
    RemoteAnnounceReceived,
    RemoteLikeReceived,
    RemoteLikeUndone,
    RemoteReplyReceived,
)
from shared.events.posts import (
    PostCounts,
    PostLiked,
    PostReplied,
    PostReplyRemoved,
    PostShared,
    PostUnliked,
)
from shared.events.users import UserBlocked, UserDeleted, UserUnblocked
from shared.outbox import Outbox
from shared.problems import Conflict
from shared.public_post import PostOut
from shared.public_user import PublicUser
from shared.relations import RelationReplica
from shared.subscriptions import Delivery

log = logging.getLogger(__name__)

# A like toggled faster than it settles is left to the periodic pass after this many rounds.
MAX_SETTLE_ROUNDS = 5
SETTLE_BATCH = 100
# Likes race on a popular post more often than edits do.
MAX_COUNT_ATTEMPTS = 50


@dataclass(frozen=True, slots=True)
class EngagementCommands:
    settings: PostsSettings
    core: PostCommands
    posts: PostRepository
    likes: LikeRepository
    counts: CountRepository
    threads: ReplyRepository
    queries: PostQueries
    outbox: Outbox
    # Whom each account blocks, from events: a like made before a block is hidden by it.
    blocks: RelationReplica
    mutes: RelationReplica
    media: MediaAttachments

    async def like(self, post_id: str, user_id: str) -> None:
        stored = await self.posts.get(post_id)
        post = require_engageable(stored.post if stored else None, user_id)
        if await self.queries.blockers_of(post, user_id):
            raise LikeBlocked()
        # A block landing after this check hides the like when its event arrives.
        if await self.likes.activate(post_id, user_id, [], utc_now()):
            await self.settle_like(post_id, user_id)

    async def unlike(self, post_id: str, user_id: str) -> None:
        if await self.likes.deactivate(post_id, user_id, utc_now()):
            await self.settle_like(post_id, user_id)

    async def settle_like(self, post_id: str, user_id: str) -> None:
        for _ in range(MAX_SETTLE_ROUNDS):
            like = await self.likes.get(post_id, user_id)
            if like is None:
                return
            if like.pending is not None:
                await self._finish(like, like.pending)
                continue
            counted = like_counts(active=like.active, hidden_by=like.hidden_by)
            if counted == like.counted:
                await self.likes.mark_settled(like)
                return
            change = CountChange(like.seq, counted)
            if await self.likes.begin_count_change(like, change):
                await self._finish(like, change)

    async def _finish(self, like: Like, change: CountChange) -> None:
        def announce(post: Post, counts: Counts) -> EventData:
            return _like_event(post, like.user_id, change, counts, utc_now())

        await self._count(
            like.post_id, change.id(like.user_id), announce, likes=1 if change.counted else -1
        )
        await self.likes.finish_count_change(like, change)

    async def _hide_likes(self, blocker_id: str, liker_id: str) -> None:
        """Hide the liker's likes of posts the blocker is credited on."""
        likes = await self.likes.active_of_user(liker_id)
        posts = await self.posts.many(like.post_id for like in likes)
        for like in likes:
            stored = posts.get(like.post_id)
            if stored and blocker_id in credited_author_ids(stored.post):
                await self.likes.hide(like.post_id, liker_id, blocker_id)
                await self.settle_like(like.post_id, liker_id)

    async def _show_likes(self, blocker_id: str, liker_id: str) -> None:
        for like in await self.likes.active_of_user(liker_id):
            if blocker_id in like.hidden_by:
                await self.likes.unhide(like.post_id, liker_id, blocker_id)
                await self.settle_like(like.post_id, liker_id)

    async def _forget_account(self, user_id: str) -> None:
        """The account's likes go, and so do its replies' counts (its posts are deleted)."""
        at = utc_now()
        for like in await self.likes.active_of_user(user_id):
            await self.likes.deactivate(like.post_id, user_id, at)
            await self.settle_like(like.post_id, user_id)
        for reply_id in await self.threads.reply_ids_by(user_id):
            await self.settle_reply(reply_id)

    async def forget_likes_of(self, post_id: str) -> None:
        """A deleted post's likes go with it."""
        await self.likes.delete_of_post(post_id)

    async def reply(
        self, post_id: str, author_id: str, text: str, media_ids: Sequence[str] = ()
    ) -> PostOut:
        clean_text = validate_reply_text(
            text, max_text_length=self.settings.max_text_length, with_media=bool(media_ids)
        )
        parent = await self._reply_target(post_id, author_id)
        await self.core.require_live_account(author_id)
        author = await self.core.author_snapshot(author_id)
        reply_id = new_id()
        media = await self.media.attach(author_id, reply_id, media_ids, public=True)
        reply = new_reply(
            reply_id=reply_id,
            parent=parent,
            author_id=author_id,
            text=clean_text,
            now=utc_now(),
            media=media,
        )
        await self._add_reply(reply, author)
        return await self.queries.render_after(Change(reply), author_id)

    async def _reply_target(self, post_id: str, author_id: str) -> Post:
        stored = await self.posts.get(post_id)
        parent = require_engageable(stored.post if stored else None, author_id)
        await self.require_may_reply(parent, author_id)
        return parent

    async def _add_reply(self, reply: Post, author: PublicUser) -> None:
        await self.core.insert(Change(reply), [author], extra={"unsettled": True})
        await self.settle_reply(reply.id)

    async def require_may_reply(self, parent: Post, user_id: str) -> None:
        if await self.queries.blockers_of(parent, user_id):
            raise ReplyBlocked()

    async def settle_reply(self, reply_id: str) -> None:
        """Count a live reply on its parent once, and a deleted one no more."""
        stored = await self.posts.get(reply_id)
        parent_id = stored.post.reply_to if stored else None
        if stored is None or parent_id is None:
            return
        reply = stored.post
        counted = not reply.is_deleted
        if await self.threads.is_counted(reply_id) == counted:
            await self.threads.mark_reply_settled(reply_id)
            return
        at = utc_now()

        def announce(parent: Post, counts: Counts) -> EventData:
            return _reply_event(parent, reply, counted, counts, at)

        change_id = f"reply:{reply_id}:{'added' if counted else 'removed'}"
        await self._count(parent_id, change_id, announce, replies=1 if counted else -1)
        await self.threads.mark_counted(reply_id, counted)

    async def settle_unsettled(self) -> None:
        """What a crash between a write and its settling left behind."""
        for like in await self.likes.unsettled(SETTLE_BATCH):
            await self.settle_like(like.post_id, like.user_id)
        for reply_id in await self.threads.unsettled_reply_ids(SETTLE_BATCH):
            await self.settle_reply(reply_id)

    async def _count(
        self,
        post_id: str,
        op_id: str,
        announce: Callable[[Post, Counts], EventData],
        *,
        likes: int = 0,
        replies: int = 0,
    ) -> None:
        """Add to the post's counters once per `op_id`, with the event announcing the result.

        A compare-and-set on the counters' version: the event carries the exact counts it
        wrote. Nothing is written when the post is gone or `op_id` was applied already.
        """
        for _ in range(MAX_COUNT_ATTEMPTS):
            counted = await self.counts.get(post_id)
            if counted is None or op_id in counted.applied or counted.stored.post.is_deleted:
                return
            before = counted.stored.counts
            after = before.after(likes=likes, replies=replies)
            with self.outbox.publishing(announce(counted.stored.post, after)) as events:
                written = await self.counts.write(post_id, before, after, op_id, events)
            if written:
                return
        raise Conflict("The post's counters changed concurrently; try again.")

    # -- events: blocks and deleted accounts -----------------------------------------

    async def user_blocked(self, delivery: Delivery[UserBlocked]) -> None:
        block = delivery.event
        if await self.blocks.record(
            block.blocker_id, block.blocked_id, active=True, as_of=block.blocked_at
        ):
            await self._hide_likes(block.blocker_id, block.blocked_id)

    async def user_unblocked(self, delivery: Delivery[UserUnblocked]) -> None:
        unblock = delivery.event
        if await self.blocks.record(
            unblock.blocker_id, unblock.blocked_id, active=False, as_of=unblock.unblocked_at
        ):
            await self._show_likes(unblock.blocker_id, unblock.blocked_id)

    # -- events: what remote accounts did (the federation service's facts) -------------------
    # As the same calls by a local account: the same checks (a post not there or not visible,
    # an author who blocks the account), the same counts and events. A refusal is the end of
    # the fact, logged: its server was told nothing else when it posted the activity.

    async def remote_like_received(self, delivery: Delivery[RemoteLikeReceived]) -> None:
        fact = delivery.event
        with _refusal_logged(fact):
            await self.like(fact.post_id, fact.user_id)

    async def remote_like_undone(self, delivery: Delivery[RemoteLikeUndone]) -> None:
        await self.unlike(delivery.event.post_id, delivery.event.user_id)

    async def remote_reply_received(self, delivery: Delivery[RemoteReplyReceived]) -> None:
        """Made once: its id derives from its Note's, so a second insert finds it there."""
        fact = delivery.event
        with _refusal_logged(fact):
            text = remote_reply_text(fact.text, max_text_length=self.settings.max_text_length)
            parent = await self._reply_target(fact.post_id, fact.user_id)
            if await self.core.is_account_deleted(fact.user_id):
                log.info("reply by a deleted account", extra={"activity": fact.activity_id})
                return
            if await self.posts.get(fact.reply_id) is None:
                # An account the users service does not know yet is retried (AccountGone).
                author = await self.core.author_snapshot(fact.user_id)
                reply = new_reply(
                    reply_id=fact.reply_id,
                    parent=parent,
                    author_id=fact.user_id,
                    text=text,
                    now=fact.received_at,
                )
                with contextlib.suppress(DuplicateKeyError):
                    await self.core.insert(Change(reply), [author], extra={"unsettled": True})
            await self.settle_reply(fact.reply_id)

    async def remote_announce_received(self, delivery: Delivery[RemoteAnnounceReceived]) -> None:
        """A share is not counted: its credited authors hear of it (post.shared)."""
        fact = delivery.event
        with _refusal_logged(fact):
            stored = await self.posts.get(fact.post_id)
            post = require_engageable(stored.post if stored else None, fact.user_id)
            if await self.queries.blockers_of(post, fact.user_id):
                raise ShareBlocked()
            shared = PostShared(
                post_id=post.id,
                sharer_id=fact.user_id,
                author_ids=credited_author_ids(post),
                shared_at=fact.received_at,
            )
            await self.core.apply_if_present(post.id, lambda current: Change(current, (shared,)))

    async def user_deleted(self, delivery: Delivery[UserDeleted]) -> None:
        """Runs after co-authoring has deleted the account's posts (their replies' counts)."""
        user_id = delivery.event.user_id
        await self._forget_account(user_id)
        await self.blocks.forget(user_id)
        await self.mutes.forget(user_id)


@contextlib.contextmanager
def _refusal_logged(
    fact: RemoteLikeReceived | RemoteReplyReceived | RemoteAnnounceReceived,
) -> Iterator[None]:
    """What a local account would be answered 403, 404 or 422 for: nothing is recorded."""
    try:
        yield
    except (PostNotFound, LikeBlocked, ReplyBlocked, ShareBlocked, InvalidPost) as refused:
        log.info(
            "remote engagement refused",
            extra={
                "type": fact.event_type,
                "activity": fact.activity_id,
                "post_id": fact.post_id,
                "user_id": fact.user_id,
                "reason": refused.detail,
            },
        )


def _counts(counts: Counts) -> PostCounts:
    return PostCounts(
        like_count=counts.like_count, reply_count=counts.reply_count, version=counts.version
    )


def _like_event(
    post: Post, liker_id: str, change: CountChange, counts: Counts, at: datetime
) -> EventData:
    authors, shared = credited_author_ids(post), _counts(counts)
    if change.counted:
        return PostLiked(
            post_id=post.id,
            liker_id=liker_id,
            author_ids=authors,
            like_seq=change.seq,
            counts=shared,
            liked_at=at,
        )
    return PostUnliked(
        post_id=post.id,
        liker_id=liker_id,
        author_ids=authors,
        like_seq=change.seq,
        counts=shared,
        unliked_at=at,
    )


def _reply_event(
    parent: Post, reply: Post, counted: bool, counts: Counts, at: datetime
) -> EventData:
    if counted:
        return PostReplied(
            post_id=parent.id,
            reply_id=reply.id,
            replier_id=reply.author_id,
            author_ids=credited_author_ids(parent),
            counts=_counts(counts),
            replied_at=at,
            reply_text=reply.text,
        )
    return PostReplyRemoved(
        post_id=parent.id,
        reply_id=reply.id,
        replier_id=reply.author_id,
        counts=_counts(counts),
        removed_at=at,
    )
