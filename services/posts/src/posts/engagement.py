"""The engagement capability (issue 12): its use cases, likes and reply counts; the state
of each like or reply, and settling the post's shared counters with it.

A like or a reply is written first; *settling* then brings the post's counter in line with
it, announcing the exact new counts in the same write (post.liked / post.unliked /
post.replied / post.reply_removed). Settling is repeatable: the HTTP request settles at
once, handlers settle after blocks and deletions, and a periodic pass settles whatever a
crash left half done. Liking a post costs the same however many likes it has.
"""

from datetime import datetime

from posts import domain
from posts.domain import Counts, Post
from posts.likes import CountChange, Like, LikeRepository, like_id
from posts.repository import PostRepository
from shared.clock import utc_now
from shared.events import EventData
from shared.events.posts import PostCounts, PostLiked, PostReplied, PostReplyRemoved, PostUnliked
from shared.pagination import time_and_id_cursor, time_and_id_position
from shared.relations import RelationReplica

# A like toggled faster than it settles is left to the periodic pass after this many rounds.
MAX_SETTLE_ROUNDS = 5
SETTLE_BATCH = 100


class Engagement:
    def __init__(
        self,
        posts: PostRepository,
        likes: LikeRepository,
        blocks: RelationReplica,
    ) -> None:
        self._posts = posts
        self._likes = likes
        self._blocks = blocks

    # -- likes -------------------------------------------------------------------------

    async def like(self, post_id: str, user_id: str) -> None:
        stored = await self._posts.get(post_id)
        post = domain.require_engageable(stored.post if stored else None, user_id)
        blockers = await self._blockers_among(domain.credited_author_ids(post), user_id)
        if await self._likes.activate(post_id, user_id, blockers, utc_now()):
            await self.settle_like(post_id, user_id)

    async def unlike(self, post_id: str, user_id: str) -> None:
        if await self._likes.deactivate(post_id, user_id, utc_now()):
            await self.settle_like(post_id, user_id)

    async def likers_page(
        self, post_id: str, viewer_id: str, limit: int, cursor: str | None
    ) -> tuple[list[str], str | None]:
        """The ids of the post's visible likers, newest first, and the next cursor."""
        stored = await self._posts.get(post_id)
        domain.require_engageable(stored.post if stored else None, viewer_id)
        likes = await self._likes.visible_page(post_id, time_and_id_position(cursor), limit + 1)
        page, more = likes[:limit], len(likes) > limit
        next_cursor = None
        if more and page:
            next_cursor = time_and_id_cursor(
                page[-1].changed_at, like_id(post_id, page[-1].user_id)
            )
        return [like.user_id for like in page], next_cursor

    async def liked_among(self, user_id: str, post_ids: list[str]) -> set[str]:
        return await self._likes.liked_among(user_id, post_ids)

    async def settle_like(self, post_id: str, user_id: str) -> None:
        for _ in range(MAX_SETTLE_ROUNDS):
            like = await self._likes.get(post_id, user_id)
            if like is None:
                return
            if like.pending is not None:
                await self._finish(like, like.pending)
                continue
            counted = domain.like_counts(active=like.active, hidden_by=like.hidden_by)
            if counted == like.counted:
                await self._likes.mark_settled(like)
                return
            change = CountChange(like.seq, counted)
            if await self._likes.begin_count_change(like, change):
                await self._finish(like, change)

    async def _finish(self, like: Like, change: CountChange) -> None:
        def announce(post: Post, counts: Counts) -> EventData:
            return _like_event(post, like.user_id, change, counts, utc_now())

        await self._posts.apply_count(
            like.post_id, change.id(like.user_id), announce, likes=1 if change.counted else -1
        )
        await self._likes.finish_count_change(like, change)

    # -- likes of a blocked or deleted account -------------------------------------------

    async def liker_blocked(self, blocker_id: str, liker_id: str) -> None:
        """Hide the liker's likes of posts the blocker is credited on."""
        likes = await self._likes.active_of_user(liker_id)
        posts = await self._posts.many(like.post_id for like in likes)
        for like in likes:
            stored = posts.get(like.post_id)
            if stored and blocker_id in domain.credited_author_ids(stored.post):
                await self._likes.hide(like.post_id, liker_id, blocker_id)
                await self.settle_like(like.post_id, liker_id)

    async def liker_unblocked(self, blocker_id: str, liker_id: str) -> None:
        for like in await self._likes.active_of_user(liker_id):
            if blocker_id in like.hidden_by:
                await self._likes.unhide(like.post_id, liker_id, blocker_id)
                await self.settle_like(like.post_id, liker_id)

    async def account_deleted(self, user_id: str) -> None:
        """The account's likes go, and so do its replies' counts (its posts are deleted)."""
        at = utc_now()
        for like in await self._likes.active_of_user(user_id):
            await self._likes.deactivate(like.post_id, user_id, at)
            await self.settle_like(like.post_id, user_id)
        for reply_id in await self._posts.reply_ids_by(user_id):
            await self.settle_reply(reply_id)

    async def post_deleted(self, post_id: str) -> None:
        await self._likes.delete_of_post(post_id)

    # -- replies -----------------------------------------------------------------------

    async def require_may_reply(self, parent: Post, user_id: str) -> None:
        if await self._blockers_among(domain.credited_author_ids(parent), user_id):
            raise domain.ReplyBlocked()

    async def settle_reply(self, reply_id: str) -> None:
        """Count a live reply on its parent once, and a deleted one no more."""
        stored = await self._posts.get(reply_id)
        parent_id = stored.post.reply_to if stored else None
        if stored is None or parent_id is None:
            return
        reply = stored.post
        counted = not reply.is_deleted
        if await self._posts.is_counted(reply_id) == counted:
            await self._posts.mark_reply_settled(reply_id)
            return
        at = utc_now()

        def announce(parent: Post, counts: Counts) -> EventData:
            return _reply_event(parent, reply, counted, counts, at)

        change_id = f"reply:{reply_id}:{'added' if counted else 'removed'}"
        await self._posts.apply_count(parent_id, change_id, announce, replies=1 if counted else -1)
        await self._posts.mark_counted(reply_id, counted)

    # -- periodic ----------------------------------------------------------------------

    async def settle_unsettled(self) -> None:
        """What a crash between a write and its settling left behind."""
        for like in await self._likes.unsettled(SETTLE_BATCH):
            await self.settle_like(like.post_id, like.user_id)
        for reply_id in await self._posts.unsettled_reply_ids(SETTLE_BATCH):
            await self.settle_reply(reply_id)

    async def _blockers_among(self, author_ids: tuple[str, ...], user_id: str) -> list[str]:
        pairs = await self._blocks.active_pairs((author_id, user_id) for author_id in author_ids)
        return [author_id for author_id, _ in sorted(pairs)]


def _counts(counts: Counts) -> PostCounts:
    return PostCounts(
        like_count=counts.like_count, reply_count=counts.reply_count, version=counts.version
    )


def _like_event(
    post: Post, liker_id: str, change: CountChange, counts: Counts, at: datetime
) -> EventData:
    authors, shared = domain.credited_author_ids(post), _counts(counts)
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
            author_ids=domain.credited_author_ids(parent),
            counts=_counts(counts),
            replied_at=at,
        )
    return PostReplyRemoved(
        post_id=parent.id,
        reply_id=reply.id,
        replier_id=reply.author_id,
        counts=_counts(counts),
        removed_at=at,
    )
