"""Engagement benchmark (issue 12): a page of 20 posts with their counts, by number of likes,
and liking a post that has 10 000 likes against liking a new one.

Runs the services' own code (timeline's TimelineQueries with its engagement projections,
posts' EngagementCommands.like as the posts service composes it) against an embedded MongoDB
server in a separate process, counting every database command with PyMongo's command
monitoring. Writes bench/results/engagement.md.

    .venv/bin/python bench/engagement_bench.py [--quick]
"""

import argparse
import asyncio
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from benchlib import embedded_engine, machine, percentile, write_results
from pymongo import AsyncMongoClient
from timeline_bench import CommandCounter, per_call

from posts.components import compose
from posts.core.repository import POST_INDEXES, POSTS, PostRepository
from posts.core.rules import Post
from posts.engagement.commands import EngagementCommands
from posts.engagement.repository import ENGAGEMENT_INDEXES as POST_ENGAGEMENT_INDEXES
from posts.engagement.repository import LIKES
from posts.settings import PostsSettings
from shared.embedded_mongo import embedded_mongo
from shared.events.posts import PostCounts, PostPublished
from shared.events.users import UserFollowed, UserRegistered
from shared.mongo import Database, Document, ensure_indexes
from shared.outbox import Outbox
from shared.relations import MUTE_REPLICA, RelationReplica, relation_replica_indexes
from shared.service_app import Kernel
from shared.subscriptions import Delivery
from shared.testing import EligibilityStandIn
from shared.user_directory import USER_DIRECTORY_INDEXES, UserDirectory
from timeline.components import fan_out_commands
from timeline.core.repository import CARD_INDEXES, PostCardRepository
from timeline.engagement.repository import LIKE_INDEXES as TIMELINE_LIKE_INDEXES
from timeline.engagement.repository import LIKE_REPLICA
from timeline.engagement.repository import LikeRepository as TimelineLikeRepository
from timeline.fanout.repository import FAN_OUT_INDEXES, EntryRepository, FollowRepository
from timeline.insights.repository import INSIGHTS_INDEXES
from timeline.reads.queries import TimelineQueries
from timeline.settings import TimelineSettings

TIMELINE_INDEXES = [
    *CARD_INDEXES,
    *FAN_OUT_INDEXES,
    *TIMELINE_LIKE_INDEXES,
    *INSIGHTS_INDEXES,
    *USER_DIRECTORY_INDEXES,
    *relation_replica_indexes(MUTE_REPLICA),
]

T0 = datetime(2025, 1, 1, tzinfo=UTC)
READER, AUTHOR = "reader", "author"
PAGE = 20
SEED_BATCH = 1_000


class NoRelay:
    """The outbox relay's wake-up; nothing is published in this benchmark."""

    def wake(self) -> None:
        pass


NO_OUTBOX = Outbox(NoRelay(), producer="posts")  # type: ignore[arg-type]


# -- a page of 20 posts with counts ------------------------------------------------------------


async def seed_timeline(db: Database, likes_per_post: int, prefix: str) -> None:
    """20 posts in the reader's home timeline, each with `likes_per_post` likes (the reader's
    among them), as the timeline's handlers store them from the posts service's events."""
    writer = fan_out_commands(TimelineSettings(), db)
    cards = PostCardRepository(db)
    for n in range(PAGE):
        post_id = f"{prefix}-{n}"
        when = T0 + timedelta(minutes=n)
        published = PostPublished(
            post_id=post_id,
            author_id=AUTHOR,
            text=f"post {n}",
            coauthor_ids=(),
            created_at=when,
            published_at=when,
        )
        await writer.post_published(Delivery(published, uuid4()))
        likers = [READER, *(f"l{i}" for i in range(likes_per_post - 1))][:likes_per_post]
        for start in range(0, len(likers), SEED_BATCH):
            await db[LIKE_REPLICA].insert_many(
                [
                    {
                        "_id": f"{post_id}:{liker}",
                        "post_id": post_id,
                        "user_id": liker,
                        "active": True,
                        "like_seq": 1,
                    }
                    for liker in likers[start : start + SEED_BATCH]
                ]
            )
        counts = PostCounts(like_count=likes_per_post, reply_count=0, version=likes_per_post + 1)
        await cards.record_counts(post_id, counts)


async def measure_page(
    client: AsyncMongoClient[Document], counter: CommandCounter, likes_per_post: int, rounds: int
) -> tuple[list[float], list[float], Counter[str], int]:
    db = client[f"bench_engagement_page_{likes_per_post}"]
    await ensure_indexes(db, TIMELINE_INDEXES)
    directory = UserDirectory(db)
    for user in (READER, AUTHOR):
        await directory.apply_registered(
            UserRegistered(user_id=user, handle=user, display_name=user, created_at=T0)
        )
    followed = UserFollowed(follower_id=READER, followee_id=AUTHOR, followed_at=T0)
    await fan_out_commands(TimelineSettings(), db).user_followed(Delivery(followed, uuid4()))
    await seed_timeline(db, likes_per_post, f"p{likes_per_post}")
    reader = TimelineQueries(
        FollowRepository(db),
        PostCardRepository(db),
        EntryRepository(db),
        directory,
        TimelineLikeRepository(db),
        RelationReplica(db, MUTE_REPLICA),
    )
    milliseconds: list[float] = []
    cpu_milliseconds: list[float] = []
    commands: Counter[str] = Counter()
    for _ in range(rounds):
        with counter.measure(commands):
            began, cpu_began = time.perf_counter(), time.process_time()
            page = await reader.home(READER, PAGE, None)
            milliseconds.append((time.perf_counter() - began) * 1000)
            cpu_milliseconds.append((time.process_time() - cpu_began) * 1000)
    assert len(page.items) == PAGE, page
    assert all(post.like_count == likes_per_post for post in page.items)
    assert all(post.liked_by_me == (likes_per_post > 0) for post in page.items)
    return milliseconds, cpu_milliseconds, commands, len(page.items)


# -- liking a post with many likes and a new post -----------------------------------------


async def seed_post(db: Database, post_id: str, likes: int) -> None:
    post = Post(
        id=post_id,
        author_id=AUTHOR,
        text="a post",
        publish_mode="now",
        status="published",
        created_at=T0,
        published_at=T0,
    )
    await PostRepository(db).insert(post, [], [])
    for start in range(0, likes, SEED_BATCH):
        await db[LIKES].insert_many(
            [
                {
                    "_id": f"{post_id}:s{i}",
                    "post_id": post_id,
                    "user_id": f"s{i}",
                    "active": True,
                    "hidden_by": [],
                    "seq": 1,
                    "counted": True,
                    "changed_at": T0,
                }
                for i in range(start, min(start + SEED_BATCH, likes))
            ]
        )
    await db[POSTS].update_one(
        {"_id": post_id}, {"$set": {"like_count": likes, "counts_version": likes}}
    )


async def measure_likes(
    client: AsyncMongoClient[Document], counter: CommandCounter, sizes: list[int], likes: int
) -> list[tuple[int, list[float], Counter[str]]]:
    """Likes by new accounts, alternating between the posts so that both see the same load."""
    db = client["bench_engagement_likes"]
    await ensure_indexes(db, [*POST_INDEXES, *POST_ENGAGEMENT_INDEXES])
    for existing in sizes:
        await seed_post(db, f"post-with-{existing}", existing)
    # Built by the posts service's own composition root; the users service (asked who blocks
    # the liker) is the in-process stand-in, and the settling sweep waits past the run so its
    # queries are not counted as a like's.
    kernel = Kernel(PostsSettings(outbox_sweep_seconds=3600), db, NO_OUTBOX)
    async with compose(kernel, users_transport=EligibilityStandIn([]).transport()) as components:
        return await like_alternately(db, counter, components.engagement, sizes, likes)


async def like_alternately(
    db: Database,
    counter: CommandCounter,
    engagement: EngagementCommands,
    sizes: list[int],
    likes: int,
) -> list[tuple[int, list[float], Counter[str]]]:
    results = {existing: ([], Counter()) for existing in sizes}
    for n in range(likes):
        for existing in sizes:
            milliseconds, commands = results[existing]
            with counter.measure(commands):
                began = time.perf_counter()
                await engagement.like(f"post-with-{existing}", f"new{n}")
                milliseconds.append((time.perf_counter() - began) * 1000)
    for existing in sizes:
        stored = await db[POSTS].find_one({"_id": f"post-with-{existing}"})
        assert stored is not None
        assert stored["like_count"] == existing + likes, stored["like_count"]
    return [(existing, *results[existing]) for existing in sizes]


async def run(quick: bool) -> str:
    server = embedded_mongo()
    url = server.start()
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        url, tz_aware=True, event_listeners=[counter]
    )
    sizes = [0, 50, 500]
    rounds, likes = (20, 20) if quick else (100, 100)
    big = 2_000 if quick else 10_000
    pages = []
    try:
        for size in sizes:
            pages.append((size, *await measure_page(client, counter, size, rounds)))
            print(f"page with {size} likes per post measured", flush=True)
        liking = await measure_likes(client, counter, [0, big], likes)
    finally:
        await client.close()
        server.stop()
    return report(pages, liking, rounds, quick)


def report(
    pages: list[tuple[int, list[float], list[float], Counter[str], int]],
    liking: list[tuple[int, list[float], Counter[str]]],
    rounds: int,
    quick: bool,
) -> str:
    lines = [
        "# Engagement benchmark",
        "",
        f"Produced by `bench/engagement_bench.py`{' --quick' if quick else ''} on {machine()}, "
        f"against the embedded MongoDB (`{embedded_engine()}`, in memory, in its own process). "
        "It calls the services' own code directly (no broker; the one HTTP call, a like asking the "
        "users service who blocks the liker, is served by an in-process stand-in); database "
        "commands are counted with `pymongo.monitoring.CommandListener`.",
        "",
        "## A home page of 20 posts with their counts and `liked_by_me`",
        "",
        f"`TimelineQueries.home` for a reader whose timeline holds 20 posts, each liked by the "
        f"number of accounts below (the reader among them); {rounds} reads each.",
        "",
        "| likes per post | items | p50 ms | p95 ms | client CPU ms/read | DB commands/read |",
        "|---|---|---|---|---|---|",
    ]
    for size, milliseconds, cpu_milliseconds, commands, items in pages:
        lines.append(
            f"| {size} | {items} | {percentile(milliseconds, 0.5):.1f} "
            f"| {percentile(milliseconds, 0.95):.1f} | {statistics.mean(cpu_milliseconds):.2f} "
            f"| {per_call(commands, len(milliseconds))} |"
        )
    lines += [
        "",
        "The counts come with the post cards (kept on them) and `liked_by_me` from one `$in` "
        "by `_id` on the like replica: the same commands whatever the number of likes. Client "
        "CPU is this process's own time per read (the database server is another process): "
        "the service's share of a page before HTTP.",
        "",
        "## Liking a post",
        "",
        "`EngagementCommands.like` by a new account, built by the posts service's `compose` (the "
        "users service asked who blocks the liker, the like, its settling on the post's counter "
        "with the announcing event, the like marked settled), alternating between a new post "
        "and one with many likes.",
        "",
        "| likes the post already has | likes measured | mean ms | p95 ms | DB commands/like |",
        "|---|---|---|---|---|",
    ]
    for existing, milliseconds, commands in liking:
        lines.append(
            f"| {existing} | {len(milliseconds)} | {statistics.mean(milliseconds):.1f} "
            f"| {percentile(milliseconds, 0.95):.1f} | {per_call(commands, len(milliseconds))} |"
        )
    lines += [
        "",
        "No query counts likes: the post's `like_count` moves by a compare-and-set on its "
        "version, and the post keeps the ids of its last 500 counter changes (bounded), so a "
        "like costs the same whatever the post already has.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    args = parser.parse_args()
    began = time.perf_counter()
    text = asyncio.run(run(args.quick))
    text += f"\nWhole run: {(time.perf_counter() - began) / 60:.1f} minutes.\n"
    print(text)
    print(f"written to {write_results('engagement.md', text)}")


if __name__ == "__main__":
    main()
