"""Timeline benchmark: fan-out cost per post and home-timeline read cost, by audience size.

Runs the timeline service's own write and read code (FanOutCommands, TimelineQueries) against
an embedded MongoDB server started in a separate process and the local Redis (keys under a
prefix of its own, deleted afterwards), counts every database command with PyMongo's command
monitoring on the client it creates, and times every write to the home feeds in Redis. Writes
bench/results/timeline.md.

    .venv/bin/python bench/timeline_bench.py [--quick] [--big N] [--fan-out-only]
"""

import argparse
import asyncio
import dataclasses
import os
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from benchlib import cpu_seconds, embedded_engine, machine, percentile, write_results
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)
from redis.asyncio import Redis

from shared.embedded_mongo import embedded_mongo
from shared.events.posts import PostPublished
from shared.events.users import UserRegistered
from shared.mongo import Database, Document, ensure_indexes
from shared.pagination import Page
from shared.public_post import PostOut
from shared.redis_store import delete_keys
from shared.relations import BLOCK_REPLICA, relation_replica_indexes
from shared.subscriptions import Delivery
from shared.testing import DEFAULT_REDIS_URL
from shared.user_directory import USER_DIRECTORY_INDEXES, UserDirectory
from timeline.components import fan_out_commands, read_caches
from timeline.core.feed_cache import FeedCache, FeedKind
from timeline.core.repository import CARD_INDEXES, PostCardRepository
from timeline.core.rules import TimelinePosition
from timeline.fanout.repository import (
    FAN_OUT_INDEXES,
    FOLLOWER_COUNTS,
    FOLLOWS,
    EntryRepository,
    FollowRepository,
)
from timeline.reads.queries import TimelineQueries
from timeline.settings import TimelineSettings

T0 = datetime(2025, 1, 1, tzinfo=UTC)
# The reader follows every benchmarked author; u0 is in every audience.
READER = "u0"


@dataclass(frozen=True)
class Case:
    """Posts published by one author; every audience is u0 .. u{n-1}, so audiences overlap."""

    key: str
    name: str
    database: str
    author: str
    posts: int
    # The follower count of the author and of each co-author.
    audiences: tuple[tuple[str, int], ...]
    coauthors: tuple[str, ...] = ()
    note: str = ""


class CommandCounter(CommandListener):
    """Every command the client sends, by name."""

    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()

    def started(self, event: CommandStartedEvent) -> None:
        if event.command_name not in {"endSessions", "hello", "isMaster", "ping"}:
            self.commands[event.command_name] += 1

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass

    @contextmanager
    def measure(self, into: Counter[str]) -> Iterator[None]:
        before = self.commands.copy()
        yield
        into.update(self.commands - before)


class TimedFeeds(FeedCache):
    """The service's feed cache, noting when each write to home feeds returned: a follower
    whose feed Redis holds reads the post from then on (every follower's is built here)."""

    def __init__(self, redis: Redis, prefix: str, cap: int) -> None:
        super().__init__(redis, prefix, cap)
        # (when it returned, home feeds it carried), for each write to home feeds.
        self.home_writes: list[tuple[float, int]] = []
        self.calls: Counter[str] = Counter()

    async def add(self, kind: FeedKind, entries: Iterable[tuple[str, TimelinePosition]]) -> None:
        pairs = list(entries)
        await super().add(kind, pairs)
        self.calls[f"add {kind}"] += 1
        if kind == "home":
            self.home_writes.append((time.perf_counter(), len(pairs)))


@dataclass
class FanOutResult:
    case: Case
    seconds: list[float] = field(default_factory=list)
    commands: Counter[str] = field(default_factory=Counter)
    redis_calls: Counter[str] = field(default_factory=Counter)
    feeds_written: int = 0
    # Seconds from the start of the fan-out to each follower's feed holding the post.
    visible_after: list[float] = field(default_factory=list)
    # CPU seconds per post: the embedded database server, this process, the Redis server.
    cpu: Counter[str] = field(default_factory=Counter)


@dataclass
class ReadResult:
    name: str
    milliseconds: list[float] = field(default_factory=list)
    commands: Counter[str] = field(default_factory=Counter)
    items: int = 0


async def seed_follows(db: Database, author: str, followers: int, celebrity: bool) -> None:
    """Arrange the follower replica directly (10 000 follow events would take far longer).

    Upserts, so that a case may reuse an author seeded by another.
    """
    follows = db[FOLLOWS]
    for start in range(0, followers, SEED_BATCH):
        await follows.bulk_write(
            [
                UpdateOne(
                    {"_id": f"u{n}:{author}"},
                    {
                        "$set": {
                            "follower_id": f"u{n}",
                            "followee_id": author,
                            "active": True,
                            "as_of": T0,
                            "followee_celebrity": celebrity,
                        }
                    },
                    upsert=True,
                )
                for n in range(start, min(start + SEED_BATCH, followers))
            ],
            ordered=False,
        )
    counted = 20_000 if celebrity else followers
    await db[FOLLOWER_COUNTS].update_one(
        {"_id": author}, {"$set": {"followers": counted, "celebrity": celebrity}}, upsert=True
    )


def post_event(case: Case, n: int) -> PostPublished:
    when = T0 + timedelta(minutes=n)
    return PostPublished(
        post_id=f"{case.key}-{n}",
        author_id=case.author,
        text=f"post {n} of {case.author}",
        coauthor_ids=case.coauthors,
        created_at=when,
        published_at=when,
    )


SMALL = "bench_timeline"
SEED_BATCH = 1_000


def cases_for(quick: bool, big_size: int | None = None) -> list[Case]:
    """Each database starts empty: the embedded server slows down as a collection grows."""
    big = big_size or (2_000 if quick else 10_000)
    return [
        Case("a10", "10 followers", SMALL, "author10", 20, (("author10", 10),)),
        Case("a1k", "1 000 followers", SMALL, "author1k", 5, (("author1k", 1_000),)),
        Case(
            "star",
            "celebrity (over the threshold)",
            SMALL,
            "star",
            20,
            (("star", 10),),
            note="its follower count is set over the threshold: only profile entries are "
            "written, followers merge its posts at read time",
        ),
        Case(
            "co",
            "1 000 + a co-author with 10 (same people)",
            "bench_timeline_coauthored",
            "author1k",
            2,
            (("author1k", 1_000), ("author10", 10)),
            coauthors=("author10",),
            note="the co-author's 10 followers also follow the author: each gets one entry",
        ),
        Case(
            "big",
            f"{big:,} followers".replace(",", " "),
            "bench_timeline_big",
            "author_big",
            1,
            (("author_big", big),),
            note="one post, in a database of its own",
        ),
    ]


async def prepare(db: Database, cases: list[Case]) -> float:
    """Indexes, the follower replica and the authors' profiles; returns the seconds it took."""
    started = time.perf_counter()
    await ensure_indexes(
        db,
        [
            *CARD_INDEXES,
            *FAN_OUT_INDEXES,
            *USER_DIRECTORY_INDEXES,
            *relation_replica_indexes(BLOCK_REPLICA),
        ],
    )
    directory = UserDirectory(db)
    for author, followers in dict(a for case in cases for a in case.audiences).items():
        await seed_follows(db, author, followers, celebrity=author == "star")
        await directory.apply_registered(
            UserRegistered(user_id=author, handle=author, display_name=author, created_at=T0)
        )
    return time.perf_counter() - started


async def build_feeds(redis: Redis, feeds: FeedCache, case: Case) -> None:
    """Every follower's home feed is built (empty) in Redis, as after a first read: the
    fan-out writes to each, its most costly case."""
    owners = {f"u{n}" for _, followers in case.audiences for n in range(followers)}
    pipe = redis.pipeline(transaction=False)
    for owner in owners:
        pipe.delete(feeds.key("home", owner))
        pipe.zadd(feeds.key("home", owner), {"": 0})
    await pipe.execute()


async def redis_cpu(redis: Redis) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def fan_out(
    db: Database,
    redis: Redis,
    server_pid: int,
    settings: TimelineSettings,
    case: Case,
    counter: CommandCounter,
) -> FanOutResult:
    caches = read_caches(redis, settings)
    feeds = TimedFeeds(redis, settings.redis_key_prefix, settings.home_timeline_cap)
    writer = fan_out_commands(settings, db, dataclasses.replace(caches, feeds=feeds))
    result = FanOutResult(case)
    for n in range(case.posts):
        await build_feeds(redis, feeds, case)
        feeds.home_writes.clear()
        calls_before = feeds.calls.copy()
        cpu_before = (cpu_seconds(server_pid), time.process_time(), await redis_cpu(redis))
        with counter.measure(result.commands):
            began = time.perf_counter()
            await writer.post_published(Delivery(post_event(case, n), uuid4()))
            result.seconds.append(time.perf_counter() - began)
        cpu_after = (cpu_seconds(server_pid), time.process_time(), await redis_cpu(redis))
        for name, before, after in zip(
            ("db", "bench", "redis"), cpu_before, cpu_after, strict=True
        ):
            result.cpu[name] += after - before
        result.redis_calls.update(feeds.calls - calls_before)
        for at, written in feeds.home_writes:
            result.visible_after += [at - began] * written
            result.feeds_written += written
    print(f"{case.name}: {statistics.mean(result.seconds):.2f}s per post", flush=True)
    return result


async def run(quick: bool, big_size: int | None, fan_out_only: bool) -> str:
    prefix = f"bench-timeline-{uuid4().hex[:8]}:"
    settings = TimelineSettings(redis_key_prefix=prefix)
    cases = cases_for(quick, big_size)
    server = embedded_mongo()
    url = server.start()
    assert server.pid is not None
    redis = Redis.from_url(os.environ.get("REDIS_URL", DEFAULT_REDIS_URL), decode_responses=True)
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        url, tz_aware=True, event_listeners=[counter]
    )
    fan_outs: list[FanOutResult] = []
    reads: list[ReadResult] = []
    seeding = 0.0
    try:
        for name in dict.fromkeys(case.database for case in cases):
            db = client[name]
            in_db = [case for case in cases if case.database == name]
            seconds = await prepare(db, in_db)
            seeding += seconds
            print(f"{name}: follower replica seeded in {seconds:.0f}s", flush=True)
            fan_outs += [
                await fan_out(db, redis, server.pid, settings, case, counter) for case in in_db
            ]
            if name == SMALL and not fan_out_only:
                reader = TimelineQueries(
                    FollowRepository(db),
                    PostCardRepository(db),
                    EntryRepository(db),
                    UserDirectory(db),
                )
                reads = await measure_reads(reader, counter, rounds=30 if quick else 100)
    finally:
        await client.close()
        await delete_keys(redis, f"{prefix}*")
        await redis.aclose()
        server.stop()
    return report(settings, fan_outs, reads, seeding, quick)


async def measure_reads(
    reader: TimelineQueries, counter: CommandCounter, rounds: int
) -> list[ReadResult]:
    first = ReadResult("home, first page (limit 20)")
    second = ReadResult("home, second page (cursor)")
    profile = ReadResult("profile of author1k (limit 20)")
    cursor = (await reader.home(READER, 20, None)).next_cursor
    reads: list[tuple[ReadResult, Callable[[], Awaitable[Page[PostOut]]]]] = [
        (first, lambda: reader.home(READER, 20, None)),
        (second, lambda: reader.home(READER, 20, cursor)),
        (profile, lambda: reader.profile("author1k", 20, None)),
    ]
    for _ in range(rounds):
        for result, read in reads:
            with counter.measure(result.commands):
                began = time.perf_counter()
                page = await read()
                result.milliseconds.append((time.perf_counter() - began) * 1000)
            result.items = len(page.items)
    return [first, second, profile]


def per_call(commands: Counter[str], calls: int) -> str:
    total = sum(commands.values()) / calls
    parts = ", ".join(f"{name} {count / calls:g}" for name, count in sorted(commands.items()))
    return f"{total:g} ({parts})"


def command_bound(case: Case) -> int:
    """The issue's budget: 2 + one command per 500 followers reached."""
    followers = 0 if case.key == "star" else max(n for _, n in case.audiences)
    return 2 + -(-followers // 500)


def report(
    settings: TimelineSettings,
    fan_outs: list[FanOutResult],
    reads: list[ReadResult],
    seed_seconds: float,
    quick: bool,
) -> str:
    lines = [
        "# Timeline benchmark",
        "",
        f"Produced by `bench/timeline_bench.py`{' --quick' if quick else ''} on {machine()}, "
        f"against the embedded MongoDB (`{embedded_engine()}`, in memory, in its own "
        "process) and the local Redis. It calls the service's own code "
        "(`FanOutCommands.post_published`, `TimelineQueries`) directly: the RabbitMQ hop (one "
        "message per post, see [pipeline.md](pipeline.md)) and HTTP (see [reads.md](reads.md)) "
        "are not included. Database commands are counted with "
        "`pymongo.monitoring.CommandListener` on the benchmark's client (one bulk write is one "
        "command). Before each post every follower's home feed is built (empty) in Redis, as "
        "after a first read, so the fan-out writes to every one. A follower sees the post once "
        "the write to Redis carrying its feed has returned (`FeedCache.add`; whatever MongoDB "
        "writes comes before it): the visibility columns are the time from the start of the "
        "post's fan-out to that moment, over every follower. CPU per post: the embedded "
        "database's process, this process (the service's code, the driver, redis-py) and the "
        "Redis server (`INFO cpu`; a shared server counts other clients' work too).",
        "",
        f"Settings: cap {settings.home_timeline_cap}, celebrity threshold "
        f"{settings.celebrity_follower_threshold} followers, batches of "
        f"{settings.fan_out_batch_size}. The follower replica was seeded directly (upserts in "
        f"batches of {SEED_BATCH}) in {seed_seconds:.1f}s.",
        "",
        "## Fan-out on write, per published post",
        "",
        "| audience | posts | mean s/post | max s/post | feeds/post | feeds/s "
        "| visible p50 s | visible p99 s | DB commands/post | budget 2 + ⌈n/500⌉ "
        "| Redis writes/post | CPU ms/post: DB / bench / Redis |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in fan_outs:
        posts = len(result.seconds)
        feeds = result.feeds_written / posts
        visible = result.visible_after or [0.0]
        cpu = " / ".join(
            f"{result.cpu[name] * 1000 / posts:.0f}" for name in ("db", "bench", "redis")
        )
        lines.append(
            f"| {result.case.name} | {posts} | {statistics.mean(result.seconds):.3f} "
            f"| {max(result.seconds):.3f} | {feeds:g} "
            f"| {feeds / statistics.mean(result.seconds):.0f} "
            f"| {percentile(visible, 0.5):.3f} | {percentile(visible, 0.99):.3f} "
            f"| {per_call(result.commands, posts)} | {command_bound(result.case)} "
            f"| {per_call(result.redis_calls, posts)} | {cpu} |"
        )
    notes = [f"- {r.case.name}: {r.case.note}." for r in fan_outs if r.case.note]
    lines += ["", *notes, ""]
    if not reads:
        return "\n".join(lines)
    lines += ["## Home-timeline reads", ""]
    lines += [
        f"The reader `{READER}` follows author10, author1k and star (a celebrity, merged at "
        "read time) and has every post of the small audiences in its home timeline. "
        "Latency is measured in the benchmark process around the reader call: the database's "
        "time plus the driver's.",
        "",
        "| read | items | p50 ms | p95 ms | p99 ms | DB commands/read |",
        "|---|---|---|---|---|---|",
    ]
    for read in reads:
        calls = len(read.milliseconds)
        lines.append(
            f"| {read.name} | {read.items} | {percentile(read.milliseconds, 0.5):.1f} "
            f"| {percentile(read.milliseconds, 0.95):.1f} "
            f"| {percentile(read.milliseconds, 0.99):.1f} | {per_call(read.commands, calls)} |"
        )
    lines += [
        "",
        "These reads have no Redis: the path a reader takes when Redis is away (a warm page "
        "from Redis reads nothing from MongoDB, see [reads.md](reads.md)). A home read is "
        "then: the celebrities the reader follows, the accounts it follows and those in a "
        "block with it, one page of their profile entries (`$in`; the home feed pulled), the "
        "reader's own and the celebrities' profile entries, the post cards (`$in`) and the "
        "users to render them (`$in`), whatever the number of follows.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer posts and reads")
    parser.add_argument("--big", type=int, help="followers of the largest audience")
    parser.add_argument("--fan-out-only", action="store_true", help="no reads")
    args = parser.parse_args()
    began = time.perf_counter()
    text = asyncio.run(run(args.quick, args.big, args.fan_out_only))
    text += f"\nWhole run: {(time.perf_counter() - began) / 60:.1f} minutes.\n"
    print(text)
    print(f"written to {write_results('timeline.md', text)}")


if __name__ == "__main__":
    main()
