"""Fan-out: what each post and follow event does to cards, profiles and home timelines.

Every use case first records the event in the projection it concerns (a card, a follow
edge), in a way that ignores older news, then brings the entries in line with the *current*
state rather than with the event. So a redelivered event, or one retried after a crash
half-way through a fan-out, finishes the work instead of repeating or skipping it.

Home feeds live in Redis only and are pulled from the follow edges and the profile entries
when Redis lacks them (`EntryRepository`): a post adds itself to the feeds Redis holds, and
what changes which posts a feed pulls deletes the feeds it touches, after its MongoDB write.
"""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import batched

from prometheus_client import Histogram

from shared.events.federation import RemotePostEdited, RemotePostReceived
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
from shared.events.users import (
    UserBlocked,
    UserDeleted,
    UserFollowed,
    UserUnblocked,
    UserUnfollowed,
)
from shared.relations import RelationReplica
from shared.remote_accounts import is_remote_user_id
from shared.subscriptions import Delivery
from shared.tracing import exemplar
from timeline.core.repository import PostCardRepository
from timeline.core.rules import (
    PostCard,
    delete_card,
    edit_card,
    hand_over_card,
    publish_card,
    record_alt_text,
    record_credit,
    record_remix_status,
    remote_content_card,
)
from timeline.fanout.repository import (
    EntryRepository,
    FollowRepository,
    FollowUpdate,
    HomeAnnouncements,
)
from timeline.fanout.rules import (
    CelebrityFlags,
    celebrity_change,
    needs_recount,
    plan_audiences,
    recount_limit,
)
from timeline.insights.repository import InsightsRepository
from timeline.settings import TimelineSettings

# A status change is re-checked against a fresh count at most this many times per event.
MAX_SETTLE_ROUNDS = 3

FAN_OUT_DELIVERIES = Histogram(
    "copost_fan_out_deliveries",
    "Home timelines one fan-out wrote a post to",
    buckets=(0, 1, 10, 100, 1000, 10_000, 100_000),
)
FAN_OUT_DURATION = Histogram(
    "copost_fan_out_duration_seconds",
    "Time to put a post on profiles and fan it out to followers' home timelines",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


@dataclass(frozen=True, slots=True)
class FanOutCommands:
    settings: TimelineSettings
    cards: PostCardRepository
    follows: FollowRepository
    entries: EntryRepository
    # Who blocks whom (kept from user.blocked/unblocked): a post is not delivered to them.
    blocks: RelationReplica
    # Where whom each delivery reached is recorded, for the insights.
    insights: InsightsRepository | None = None
    # Who is told at once of a post new in their home timeline; no one without Redis.
    announcements: HomeAnnouncements | None = None

    # -- posts -------------------------------------------------------------------------

    async def post_published(self, delivery: Delivery[PostPublished]) -> None:
        published = delivery.event
        _, card = await self.cards.change(
            published.post_id, lambda c: publish_card(c, published), likely_new=True
        )
        await self._reach(card, card.reaching_authors())
        if card.remix_of_post_id is not None:
            await self.cards.recount_remixes(card.remix_of_post_id)

    async def remote_post_received(self, delivery: Delivery[RemotePostReceived]) -> None:
        """What a remote post's Note said besides its text, shown on its card."""
        received = delivery.event
        await self.cards.change(received.post_id, lambda c: remote_content_card(c, received))

    async def remote_post_edited(self, delivery: Delivery[RemotePostEdited]) -> None:
        """A remote post's content warning and media as its author's Update changed them."""
        edited = delivery.event
        await self.cards.change(edited.post_id, lambda c: remote_content_card(c, edited))

    async def coauthor_added(self, delivery: Delivery[PostCoauthorAdded]) -> None:
        added = delivery.event
        _, card = await self.cards.change(
            added.post_id,
            lambda c: record_credit(
                c, added.coauthor_id, credited=True, as_of=added.added_at, label=added.credit
            ),
        )
        await self._settle_coauthor(card, added.coauthor_id)

    async def coauthor_removed(self, delivery: Delivery[PostCoauthorRemoved]) -> None:
        removed = delivery.event
        if not removed.was_credited:
            return
        _, card = await self.cards.change(
            removed.post_id,
            lambda c: record_credit(
                c, removed.coauthor_id, credited=False, as_of=removed.removed_at
            ),
        )
        await self._settle_coauthor(card, removed.coauthor_id)

    async def post_deleted(self, delivery: Delivery[PostDeleted]) -> None:
        deleted = delivery.event
        _, card = await self.cards.change(deleted.post_id, delete_card)
        await self.entries.purge_post(deleted.post_id)
        if card.remix_of_post_id is not None:
            await self.cards.recount_remixes(card.remix_of_post_id)

    async def alt_text_changed(self, delivery: Delivery[MediaAltTextChanged]) -> None:
        """Cards are read when timelines are: the new alt text shows on the next page read."""
        edited = delivery.event
        await self.cards.change(edited.post_id, lambda c: record_alt_text(c, edited.medium))

    async def post_edited(self, delivery: Delivery[PostEdited]) -> None:
        """Cards are read when timelines and profiles are: the new version shows at once."""
        edited = delivery.event
        await self.cards.change(edited.post_id, lambda c: edit_card(c, edited))

    async def post_handed_over(self, delivery: Delivery[PostHandedOver]) -> None:
        """Entries name the new author; a former author who left with their account takes the
        post off their profile and from followers who saw it only through them."""
        handed = delivery.event
        _, card = await self.cards.change(handed.post_id, lambda c: hand_over_card(c, handed))
        if card.status != "published" or card.author_id != handed.to_author_id:
            return
        await self.entries.rename_author(handed.post_id, handed.to_author_id)
        if handed.from_author_id not in card.reaching_authors():
            await self._take_off_profile(handed.from_author_id, card.post_id)
        await self._reach(card, card.reaching_authors())

    async def remix_status_changed(self, delivery: Delivery[RemixEvent]) -> None:
        """Cards are read when timelines are: the remix shows or hides its original at once."""
        remix = delivery.event
        await self.cards.change(
            remix.remix_id, lambda c: record_remix_status(c, remix.original_id, remix.status)
        )
        await self.cards.recount_remixes(remix.original_id)

    async def _settle_coauthor(self, card: PostCard, coauthor_id: str) -> None:
        """Whatever the event said, the entries follow what the card says now."""
        if card.status != "published":
            return
        if coauthor_id in card.reaching_authors():
            await self._reach(card, [coauthor_id])
        else:
            await self._take_off_profile(coauthor_id, card.post_id)

    async def _take_off_profile(self, author_id: str, post_id: str) -> None:
        """The post leaves the author's profile, and so the home feeds that pulled it from
        there: those of the author's followers (a follower who sees it through another of its
        authors pulls it again)."""
        await self.entries.take_off_profile(author_id, post_id)
        await self.entries.invalidate_homes(await self.follows.followers(author_id))

    async def _reach(self, card: PostCard, authors: Sequence[str]) -> None:
        """Put the post on these authors' profiles and in their followers' home timelines."""
        if not authors:
            return
        started = time.perf_counter()
        # Profiles first: a follow handled meanwhile back-fills from them (see `user_followed`).
        await self.entries.put_on_profiles(card, authors)
        celebrities = await self.follows.celebrities_among(authors)
        plan = plan_audiences(authors, celebrities)
        # Pulled feeds leave out posts authored by an account in a block with their owner.
        excluded = await self.blocks.counterparts_of(card.author_id) if card.author_id else set()
        followers_by_author: dict[str, list[str]] = {}
        reached: set[str] = set()
        # Each batch of followers is written to Redis while the next is read from the
        # database: the two servers work at once, and the first feeds have the post before
        # the last followers are read.
        async with asyncio.TaskGroup() as writes:
            for author in plan.fan_out_authors:
                followers = followers_by_author.setdefault(author, [])
                batches = self.follows.follower_batches(author, self.settings.fan_out_batch_size)
                async for batch in batches:
                    followers += batch
                    # A follower of several authors gets the post once.
                    owners = [o for o in batch if o not in reached and o not in excluded]
                    reached.update(owners)
                    writes.create_task(self._deliver(card, owners))
        FAN_OUT_DELIVERIES.observe(len(reached))
        FAN_OUT_DURATION.observe(time.perf_counter() - started, exemplar=exemplar())
        await self._record_reach(card, plan.celebrity_authors, followers_by_author)

    async def _deliver(self, card: PostCard, owner_ids: Sequence[str]) -> None:
        await self.entries.deliver(card, owner_ids)
        if self.announcements is not None:
            await self.announcements.announce(card, owner_ids)

    async def _record_reach(
        self,
        card: PostCard,
        celebrities: Sequence[str],
        followers_by_author: dict[str, list[str]],
    ) -> None:
        """For the insights: whom this delivery reached, celebrities' followers included
        (their timelines merge the post in at read time)."""
        if self.insights is None:
            return
        for author in celebrities:
            followers_by_author[author] = await self.follows.followers(author)
        await self.insights.record_reach(card.post_id, followers_by_author)

    # -- follows -----------------------------------------------------------------------

    async def user_followed(self, delivery: Delivery[UserFollowed]) -> None:
        follow = delivery.event
        if is_remote_user_id(follow.follower_id):
            # A remote account has no home timeline here: nothing to fan out to (and its follow,
            # made through federation, was made from no post here: no insights to keep).
            return
        update = await self.follows.record(
            follow.follower_id,
            follow.followee_id,
            active=True,
            as_of=follow.followed_at,
            via_post=follow.via_post,
        )
        if not update.applied:
            return
        flags = await self._count_follow(follow.followee_id, update, change=1)
        if flags.merged_at_read:
            # The edge is flagged here, from flags read after its write: a promotion that
            # flagged the others before the edge existed is caught too.
            await self.follows.flag_edge(follow.follower_id, follow.followee_id)
        if not flags.skips_fan_out:
            # Pulled again, with the followee's recent posts (its newest, up to the cap).
            await self.entries.invalidate_homes([follow.follower_id])

    async def user_unfollowed(self, delivery: Delivery[UserUnfollowed]) -> None:
        unfollow = delivery.event
        await self._end_follow(unfollow.follower_id, unfollow.followee_id, unfollow.unfollowed_at)

    async def user_blocked(self, delivery: Delivery[UserBlocked]) -> None:
        """Follows end both ways, and neither sees the other's posts through anyone else: a
        pulled feed leaves out posts authored by an account in a block with its owner, which
        the block replica (written by the handler included before this one) now holds."""
        block = delivery.event
        pair = ((block.blocker_id, block.blocked_id), (block.blocked_id, block.blocker_id))
        for owner_id, other_id in pair:
            await self._end_follow(owner_id, other_id, block.blocked_at)
        await self.entries.invalidate_homes([block.blocker_id, block.blocked_id])

    async def user_unblocked(self, delivery: Delivery[UserUnblocked]) -> None:
        """Their feeds are pulled again, with the posts the block left out (the block replica,
        written by the handler included before this one, no longer holds it)."""
        unblock = delivery.event
        await self.entries.invalidate_homes([unblock.blocker_id, unblock.blocked_id])

    async def user_deleted(self, delivery: Delivery[UserDeleted]) -> None:
        deleted = delivery.event
        followees = await self.follows.active_followees(deleted.user_id)
        followers = await self.follows.followers(deleted.user_id)
        await self.follows.deactivate_all(deleted.user_id, deleted.deleted_at)
        for batch in batched(followees, self.settings.fan_out_batch_size, strict=False):
            await self._settle_celebrities(batch)
        await self.follows.forget_followers(deleted.user_id)
        await self.entries.purge_account(deleted.user_id, followers)

    async def _end_follow(self, follower_id: str, followee_id: str, as_of: datetime) -> None:
        if is_remote_user_id(follower_id):
            return  # never recorded (see `user_followed`)
        update = await self.follows.record(follower_id, followee_id, active=False, as_of=as_of)
        if not update.applied:
            return
        await self._count_follow(followee_id, update, change=-1)
        await self.entries.invalidate_homes([follower_id])

    # -- celebrities -------------------------------------------------------------------

    async def _count_follow(
        self, author_id: str, update: FollowUpdate, *, change: int
    ) -> CelebrityFlags:
        """Count a follow change into the author's follower count; the author's flags after.

        Far from the threshold the stored count is changed by one (the edge's write said the
        edge changed, which only one delivery can see); near it, or when the edge did not
        change (a redelivery, perhaps after a crash before the count's write), the followers
        are counted again and the author promoted or demoted if need be.
        """
        if update.changed:
            threshold = self.settings.celebrity_follower_threshold
            margin = self.settings.celebrity_demotion_margin
            # Most follows: an unflagged author far from the threshold, one write.
            limit = recount_limit(threshold, margin)
            if await self.follows.add_follower_below(author_id, change, limit):
                return CelebrityFlags(skips_fan_out=False, merged_at_read=False)
            counted, flags = await self.follows.add_follower(author_id, change)
            if not needs_recount(counted, flags, threshold, margin):
                return flags
        return (await self._settle_celebrities([author_id]))[author_id]

    async def _settle_celebrities(self, author_ids: Sequence[str]) -> dict[str, CelebrityFlags]:
        """Recount these authors' followers and promote or demote those who crossed over.

        Counting from the replica (not adding deltas) heals a count left behind by a crash,
        at the next follow change or at the redelivery of the interrupted event. A change is
        followed by a recount: a concurrent follow may have counted before this one did.
        Returns each author's flags once settled (as far as MAX_SETTLE_ROUNDS goes).
        """
        threshold = self.settings.celebrity_follower_threshold
        margin = self.settings.celebrity_demotion_margin
        pending = list(author_ids)
        settled: dict[str, CelebrityFlags] = {}
        for _ in range(MAX_SETTLE_ROUNDS):
            if not pending:
                break
            counts = await self.follows.count_followers(pending)
            flags = await self.follows.store_counts(counts)
            changes = {
                author_id: celebrity_change(flags[author_id], counts[author_id], threshold, margin)
                for author_id in pending
            }
            for author_id, change in changes.items():
                if change == "promote":
                    await self._promote(author_id)
                elif change == "demote":
                    await self._demote(author_id)
                else:
                    settled[author_id] = flags[author_id]
            pending = [author_id for author_id, change in changes.items() if change]
        for author_id in pending:  # still moving after the last round: as stored now
            settled[author_id] = await self.follows.flags_of(author_id)
        return settled

    async def _promote(self, author_id: str) -> None:
        """Readers merge the author in before its posts stop being fanned out."""
        await self.follows.mark_merged_at_read(author_id, True)
        await self.follows.flag_edges(author_id, True)
        await self.follows.mark_skips_fan_out(author_id, True)

    async def _demote(self, author_id: str) -> None:
        """Fan-out resumes and followers' feeds are pulled again, with the skipped posts,
        before readers stop merging.

        A crash part-way leaves the flags apart, so the next settle repeats the steps.
        """
        await self.follows.mark_skips_fan_out(author_id, False)
        await self.entries.invalidate_homes(await self.follows.followers(author_id))
        await self.follows.flag_edges(author_id, False)
        await self.follows.mark_merged_at_read(author_id, False)
