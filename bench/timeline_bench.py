"""Timeline benchmark: fan-out cost per post and home-timeline read cost, by audience size.

Runs the timeline service's own write and read code (FanOutCommands, TimelineQueries) against
an embedded MongoDB server started in a separate process, and counts every database command
with PyMongo's command monitoring on the client it creates. Writes bench/results/timeline.md.

    .venv/bin/python bench/timeline_bench.py [--quick]
"""

import argparse
import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from benchlib import embedded_engine, machine, percentile, write_results
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

from shared.embedded_mongo import embedded_mongo
from shared.events.posts import PostPublished
from shared.events.users import UserRegistered
from shared.mongo import Database, Document, ensure_indexes
from shared.pagination import Page
from shared.public_post import PostOut
from shared.subscriptions import Delivery
from shared.user_directory import USER_DIRECTORY_INDEXES, UserDirectory
from timeline.components import fan_out_commands
from timeline.core.repository import CARD_INDEXES, PostCardRepository
from timeline.fanout.repository import (
    FAN_OUT_INDEXES,
    FOLLOWER_COUNTS,
    FOLLOWS,
    HOME_ENTRIES,
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
    """Every command the client sends, by name, and when each home entry became readable.

    A home entry is readable once the bulk write carrying it succeeded: the listener keeps,
    for each `update` command on home_entries, the owners it carries and the time it ended.
    """

    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()
        self._owners_of: dict[int, list[str]] = {}
        self.visible_at: list[float] = []

    def started(self, event: CommandStartedEvent) -> None:
        if event.command_name not in {"endSessions", "hello", "isMaster", "ping"}:
            self.commands[event.command_name] += 1
        if event.command_name == "update" and event.command.get("update") == HOME_ENTRIES:
            self._owners_of[event.request_id] = list(event.command.get("updates", []))

    def succeeded(self, event: CommandSucceededEvent) -> None:
        if (owners := self._owners_of.pop(event.request_id, None)) is not None:
            self.visible_at += [time.perf_counter()] * len(owners)

    def failed(self, event: CommandFailedEvent) -> None:
        self._owners_of.pop(event.request_id, None)

    @contextmanager
    def measure(self, into: Counter[str]) -> Iterator[None]:
        before = self.commands.copy()
        yield
        into.update(self.commands - before)


@dataclass
class FanOutResult:
    case: Case
    seconds: list[float] = field(default_factory=list)
    commands: Counter[str] = field(default_factory=Counter)
    entries_written: int = 0
    # Seconds from the start of the fan-out to each follower's entry being readable.
    visible_after: list[float] = field(default_factory=list)


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


def cases_for(quick: bool) -> list[Case]:
    """Each database starts empty: the embedded server slows down as a collection grows."""
    big = 2_000 if quick else 10_000
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
    await ensure_indexes(db, [*CARD_INDEXES, *FAN_OUT_INDEXES, *USER_DIRECTORY_INDEXES])
    directory = UserDirectory(db)
    for author, followers in dict(a for case in cases for a in case.audiences).items():
        await seed_follows(db, author, followers, celebrity=author == "star")
        await directory.apply_registered(
            UserRegistered(user_id=author, handle=author, display_name=author, created_at=T0)
        )
    return time.perf_counter() - started


async def fan_out(
    db: Database, settings: TimelineSettings, case: Case, counter: CommandCounter
) -> FanOutResult:
    writer = fan_out_commands(settings, db)
    result = FanOutResult(case)
    for n in range(case.posts):
        entries_before = await db["home_entries"].estimated_document_count()
        counter.visible_at.clear()
        with counter.measure(result.commands):
            began = time.perf_counter()
            await writer.post_published(Delivery(post_event(case, n), uuid4()))
            result.seconds.append(time.perf_counter() - began)
        result.visible_after += [at - began for at in counter.visible_at]
        result.entries_written += (
            await db["home_entries"].estimated_document_count() - entries_before
        )
    print(f"{case.name}: {statistics.mean(result.seconds):.2f}s per post", flush=True)
    return result


async def run(quick: bool) -> str:
    settings = TimelineSettings()
    cases = cases_for(quick)
    server = embedded_mongo()
    url = server.start()
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
            fan_outs += [await fan_out(db, settings, case, counter) for case in in_db]
            if name == SMALL:
                reader = TimelineQueries(
                    FollowRepository(db),
                    PostCardRepository(db),
                    EntryRepository(db),
                    UserDirectory(db),
                )
                reads = await measure_reads(reader, counter, rounds=30 if quick else 100)
    finally:
        await client.close()
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
        "process). It calls the service's own code (`FanOutCommands.post_published`, "
        "`TimelineQueries`) directly: the RabbitMQ hop (one message per post, see "
        "[pipeline.md](pipeline.md)) and HTTP (see [reads.md](reads.md)) are not included. "
        "Database commands are counted with `pymongo.monitoring.CommandListener` on the "
        "benchmark's client; one bulk write of up to "
        f"{settings.fan_out_batch_size} documents is one command. A follower's entry is "
        "*visible* when the bulk write carrying it has succeeded: the visibility columns are "
        "the time from the start of the post's fan-out to that moment, over every follower.",
        "",
        f"Settings: cap {settings.home_timeline_cap} (+{settings.home_timeline_trim_slack} "
        f"slack), celebrity threshold {settings.celebrity_follower_threshold} followers, "
        f"batches of {settings.fan_out_batch_size}. The follower replica was seeded directly "
        f"(upserts in batches of {SEED_BATCH}) in {seed_seconds:.1f}s.",
        "",
        "## Fan-out on write, per published post",
        "",
        "| audience | posts | mean s/post | max s/post | entries/post | entries/s "
        "| visible p50 s | visible p99 s | DB commands/post | budget 2 + ⌈n/500⌉ |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in fan_outs:
        posts = len(result.seconds)
        entries = result.entries_written / posts
        visible = result.visible_after or [0.0]
        lines.append(
            f"| {result.case.name} | {posts} | {statistics.mean(result.seconds):.3f} "
            f"| {max(result.seconds):.3f} | {entries:g} "
            f"| {entries / statistics.mean(result.seconds):.0f} "
            f"| {percentile(visible, 0.5):.3f} | {percentile(visible, 0.99):.3f} "
            f"| {per_call(result.commands, posts)} | {command_bound(result.case)} |"
        )
    notes = [f"- {r.case.name}: {r.case.note}." for r in fan_outs if r.case.note]
    lines += ["", *notes, "", "## Home-timeline reads", ""]
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
        "A home read is always: the celebrities the reader follows (`find follows`), one page "
        "of home entries, one page of the celebrities' profile entries (only when there are "
        "any), the post cards (`$in`) and the users to render them (`$in`): at most 5 "
        "commands, whatever the number of follows.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer posts and reads")
    args = parser.parse_args()
    began = time.perf_counter()
    text = asyncio.run(run(args.quick))
    text += f"\nWhole run: {(time.perf_counter() - began) / 60:.1f} minutes.\n"
    print(text)
    print(f"written to {write_results('timeline.md', text)}")


if __name__ == "__main__":
    main()
