"""Capacity model: processes, broker, MongoDB and Redis for 100 k, 1 M and 10 M daily active users.

A deterministic calculation (no randomness, standard library only) from the measured per-request
and per-event costs in bench/results/ and the workload assumptions below, each constant with its
source. It prints the Markdown table docs/capacity.md shows (docs/tests checks they are equal):

    python3 bench/capacity_model.py
"""

import math
from dataclasses import dataclass

TIERS = (100_000, 1_000_000, 10_000_000)
SECONDS_PER_DAY = 86_400

# -- workload: assumptions, each named after its anchor (docs/capacity.md#the-workload) ---------

# Registered accounts per daily active user (each has follow edges in MongoDB; only those who
# read have a home feed in Redis).
ACCOUNTS_PER_DAU = 4
# Per daily active user and day. 40 home + 20 profile pages per 2 posts is 30 timeline reads per
# post: between DeathStarBench socialNetwork's mix (60 % home, 30 % profile, 10 % posts: 9 to 1)
# and Twitter's 2013 figures (300 k timeline reads/s against about 6 k writes/s: 50 to 1).
HOME_READS = 40
PROFILE_READS = 20
NOTIFICATION_READS = 10
POSTS = 2
LIKES = 10
FOLLOWS = 0.5
# The busiest hour's rate over the day's mean (Twitter 2013: 4.6 k tweets/s mean, 12 k peak).
PEAK_FACTOR = 3.0
# Followers of a posting account, on average (socfb-Reed98, the social benchmark's graph: 39;
# large networks: hundreds).
MEAN_FOLLOWERS = 200
# Posts by accounts over the celebrity threshold (10 000 followers): not fanned out, merged in
# at read time (TimelineSettings.celebrity_follower_threshold).
CELEBRITY_POST_SHARE = 0.05
# Co-authored posts (social_bench's mix: a tenth), each reaching 1.5 invitees whose followers
# add half an audience beyond the author's (overlap assumed).
COAUTHORED_SHARE = 0.10
INVITEES_PER_COAUTHORED_POST = 1.5
COAUTHOR_EXTRA_AUDIENCE = 0.5

# -- measured CPU per request, ms of one core (bench/results/reads.md, 2026-12-06 17:06 UTC) ---

GATEWAY_HOME_MS = 1.596
GATEWAY_PROFILE_MS = 2.250
GATEWAY_NOTIFICATIONS_MS = 1.161
TIMELINE_HOME_MS = 2.972  # warm page, from Redis
TIMELINE_PROFILE_MS = 8.729  # includes asking users who blocks the viewer
NOTIFICATIONS_READ_MS = 2.056
# posts: 1.7 s of CPU over the 214 posts of social.md's 30 s mix (2026-12-06 16:59 UTC): derived.
POSTS_PER_POST_MS = 1.7 * 1000 / 214

# -- estimates: not measured as such (docs/capacity.md#what-is-measured-and-what-is-estimated) --

# A write's gateway pass: as a home read's (reads.md's routes cost it 1.1 to 2.3 ms).
GATEWAY_WRITE_MS = 1.6
# users' answer to the profile page's block check, and a follow: as reading one's own profile.
USERS_PER_CALL_MS = 2.477
# A like: 10 database commands (engagement.md) at ~0.3 ms of PyMongo client CPU each
# (bench/results/README.md), plus the HTTP stack.
POSTS_PER_LIKE_MS = 10 * 0.3 + 1.5
# Per delivered event, relay and consumer together (bench/results/README.md, pipeline: "the
# client about 1.5 ms more" beside the embedded server's 4-4.5 ms).
CONSUMER_PER_DELIVERY_MS = 1.5
# Timeline's own CPU per home entry fanned out: its share of reading the followers (batches of
# 500) and of the feed script's call. timeline.md (2026-12-07 05:53 UTC): 90 ms of the bench
# process's CPU (the service's code, PyMongo, redis-py) for a post to 10 000 followers: 0.009.
TIMELINE_PER_ENTRY_MS = 0.01
# RabbitMQ per delivery: pipeline.md's raw path "under 0.3 ms" on one node; twice that for a
# quorum queue replicated to three nodes.
BROKER_PER_DELIVERY_MS = 0.6
# Redis CPU: a page's four round trips, and a fan-out entry's EXISTS + ZADD + ZLEXCOUNT + ZCARD.
REDIS_PER_PAGE_MS = 0.1
REDIS_PER_ENTRY_MS = 0.005
# A Redis primary is kept under half a core (one thread; room for failover and rebuild bursts)
# and 25 GB of data (a replica's full resync and an AOF rewrite stay minutes, not hours).
REDIS_CORES_PER_PRIMARY = 0.5
REDIS_GB_PER_PRIMARY = 25
# MongoDB: documents one shard's primary writes per second, and data per shard (WiredTiger).
# Home feeds are in Redis only (ADR 0009): MongoDB holds no entry per follower of a post, only
# per author (profile entries) and, for the insights, whom each post reached (chunks of ids).
MONGO_WRITES_PER_SHARD = 20_000
MONGO_TB_PER_SHARD = 2.0

# -- measured sizes ----------------------------------------------------------------------------

# MEMORY USAGE of an 800-entry feed (entries are 56-byte sort keys, skiplist encoding), Redis
# 7.0.15, 2026-12-06: 122 272 bytes.
REDIS_BYTES_PER_FEED_ENTRY = 122_272 / 800
# bson.encode, 2026-12-07, of the documents the timeline writes (32-hex ids): a profile entry
# (EntryRepository.put_on_profiles) 320 bytes, its two indexes' keys estimated at 120 more; a
# follow edge 225, its three indexes' keys estimated at 180 more; whom a post reached
# (InsightsRepository.record_reach) 42 105 bytes per chunk of 1 000 follower ids.
MONGO_BYTES_PER_PROFILE_ENTRY = 320 + 120
MONGO_BYTES_PER_FOLLOW_EDGE = 225 + 180
MONGO_BYTES_PER_REACHED_FOLLOWER = 42_105 / 1_000
# A post document (text up to 500 characters, credits, counters, an emptied outbox), and a
# notification (with its 140-character preview): estimates.
POST_DOC_BYTES = 1_500
NOTIFICATION_DOC_BYTES = 500
# Notifications made per daily active user and day: likes are grouped per post, so fewer than
# likes and follows together (estimate).
NOTIFICATIONS_PER_DAU = 5
# A post card as a page renders it: reads.md's home page is 15 929 bytes for 20 posts.
CARD_BYTES = 15_929 / 20

# -- settings (services/timeline/src/timeline/settings.py, deploy/k8s) -----------------------

HOME_TIMELINE_CAP = 800
NOTIFICATION_RETENTION_DAYS = 90  # services/notifications/src/notifications/settings.py
# A smaller cap for the Redis feeds (pages past it are pulled from MongoDB's profile entries,
# FeedCache's "#" marker).
SMALLER_FEED_CACHE_CAP = 200
# A profile feed's entries: an author's posts, capped like a home's; 90 days at 2 a day.
PROFILE_FEED_ENTRIES = 180
# Per reader, Redis also holds its likes, mutes and followed celebrities (for an hour, as the
# cards: READ_CACHE_TTL_SECONDS) and a profile.
READER_SETS_BYTES = 1_000
# maxmemory is 75 % of the container's limit in the prod overlay (768 MB of 1 GiB).
REDIS_MEMORY_HEADROOM = 1 / 0.75
# HPA: 70 % of the pod's CPU request; a pod is one Python process, so one core at most.
HPA_TARGET = 0.70
POD_CORES = 1.0
MIN_REPLICAS = 2
# Today's maxReplicas (deploy/k8s/base/<process>/values.yaml; docs/tests checks they match).
MAX_REPLICAS = {
    "gateway": 8,
    "timeline": 8,
    "users": 6,
    "posts": 6,
    "notifications": 6,
    "invitations": 4,
    "media": 6,
    "federation": 4,
}


@dataclass(frozen=True, slots=True)
class Tier:
    dau: int
    # What the plan is most sensitive to, varied by the second table.
    followers: float = MEAN_FOLLOWERS
    per_entry_ms: float = TIMELINE_PER_ENTRY_MS

    def per_second(self, per_dau_per_day: float) -> float:
        """The busiest hour's rate of something each daily active user does so often a day."""
        return self.dau * per_dau_per_day / SECONDS_PER_DAY * PEAK_FACTOR

    @property
    def home(self) -> float:
        return self.per_second(HOME_READS)

    @property
    def profile(self) -> float:
        return self.per_second(PROFILE_READS)

    @property
    def notifications(self) -> float:
        return self.per_second(NOTIFICATION_READS)

    @property
    def posts(self) -> float:
        return self.per_second(POSTS)

    @property
    def likes(self) -> float:
        return self.per_second(LIKES)

    @property
    def follows(self) -> float:
        return self.per_second(FOLLOWS)

    @property
    def requests(self) -> float:
        return (
            self.home + self.profile + self.notifications + self.posts + self.likes + self.follows
        )

    @property
    def entries(self) -> float:
        """Home entries fanned out per second."""
        audience = self.followers * (1 + COAUTHORED_SHARE * COAUTHOR_EXTRA_AUDIENCE)
        return self.posts * (1 - CELEBRITY_POST_SHARE) * audience

    def deliveries(self) -> dict[str, float]:
        """Events delivered per second, by consuming service (README.md's services table)."""
        invitees = self.posts * COAUTHORED_SHARE * INVITEES_PER_COAUTHORED_POST
        return {
            # post.created; each invitee's post.coauthor_invited.
            "invitations": self.posts + invitees,
            # post.created, post.published; per invitee its invitation's and credit's events
            # (three); likes; follows.
            "notifications": 2 * self.posts + 3 * invitees + self.likes + self.follows,
            # post.published, post.coauthor_added, post.liked, user.followed.
            "timeline": self.posts + invitees + self.likes + self.follows,
            # invitation.created and .accepted.
            "posts": 2 * invitees,
            # post.published.
            "media": self.posts,
            # post.published; each accepted invitee's post.coauthor_added (kept as remote
            # servers see the post; edits and deletions are rare). What remote servers send
            # and are sent is not modeled yet (docs/federation.md).
            "federation": self.posts + invitees,
        }

    def cores(self) -> dict[str, float]:
        """CPU cores each process needs in the busiest hour."""
        events = self.deliveries()
        consumer = {name: rate * CONSUMER_PER_DELIVERY_MS for name, rate in events.items()}
        writes = self.posts + self.likes + self.follows
        milliseconds = {
            "gateway": self.home * GATEWAY_HOME_MS
            + self.profile * GATEWAY_PROFILE_MS
            + self.notifications * GATEWAY_NOTIFICATIONS_MS
            + writes * GATEWAY_WRITE_MS,
            "timeline": self.home * TIMELINE_HOME_MS
            + self.profile * TIMELINE_PROFILE_MS
            + self.entries * self.per_entry_ms
            + consumer["timeline"],
            "users": (self.profile + self.follows) * USERS_PER_CALL_MS,
            "posts": self.posts * POSTS_PER_POST_MS
            + self.likes * POSTS_PER_LIKE_MS
            + consumer["posts"],
            "notifications": self.notifications * NOTIFICATIONS_READ_MS + consumer["notifications"],
            "invitations": consumer["invitations"],
            "media": consumer["media"],
            "federation": consumer["federation"],
        }
        return {name: ms / 1000 for name, ms in milliseconds.items()}

    @property
    def broker_cores(self) -> float:
        return sum(self.deliveries().values()) * BROKER_PER_DELIVERY_MS / 1000

    def feed_store_gb(self, cap: int) -> float:
        """Redis: every active reader's home feed (full: it receives ~100 entries a day), a
        profile feed per active user, a day's cards (an upper bound: they expire after an
        hour), the readers' sets; with maxmemory's headroom."""
        feeds = self.dau * (cap + min(cap, PROFILE_FEED_ENTRIES)) * REDIS_BYTES_PER_FEED_ENTRY
        cards = self.dau * POSTS * CARD_BYTES
        readers = self.dau * READER_SETS_BYTES
        return (feeds + cards + readers) * REDIS_MEMORY_HEADROOM / 1e9

    @property
    def redis_cores(self) -> float:
        pages = self.home + self.profile
        return (pages * REDIS_PER_PAGE_MS + self.entries * REDIS_PER_ENTRY_MS) / 1000

    def redis_primaries(self, cap: int) -> int:
        by_cpu = math.ceil(self.redis_cores / REDIS_CORES_PER_PRIMARY)
        return max(1, by_cpu, math.ceil(self.feed_store_gb(cap) / REDIS_GB_PER_PRIMARY))

    def a_year(self, per_second_at_peak: float) -> float:
        """A year's worth of something whose busiest hour's rate this is."""
        return per_second_at_peak / PEAK_FACTOR * SECONDS_PER_DAY * 365

    @property
    def reach_tb_a_year(self) -> float:
        """The insights' record of whom each post reached: one id per home entry."""
        return self.a_year(self.entries) * MONGO_BYTES_PER_REACHED_FOLLOWER / 1e12

    @property
    def timeline_tb_a_year(self) -> float:
        """The timeline database after a year: the follow edges, each post's card and its
        profile entries (its author's and its credited co-authors'), and the reach records."""
        edges = self.dau * ACCOUNTS_PER_DAU * self.followers * MONGO_BYTES_PER_FOLLOW_EDGE
        profiles_per_post = 1 + COAUTHORED_SHARE * INVITEES_PER_COAUTHORED_POST
        per_post = POST_DOC_BYTES + profiles_per_post * MONGO_BYTES_PER_PROFILE_ENTRY
        posts = self.a_year(self.posts) * per_post
        return (edges + posts) / 1e12 + self.reach_tb_a_year

    @property
    def timeline_writes(self) -> float:
        """Documents the timeline database writes per second: per post its card, its profile
        entries and its reach chunks (1 000 ids each); per like its card's counts; per follow
        its edge, the followee's count and the follow's attribution."""
        profiles_per_post = 1 + COAUTHORED_SHARE * INVITEES_PER_COAUTHORED_POST
        reach_chunks = self.entries / 1_000 + self.posts
        return self.posts * (1 + profiles_per_post) + reach_chunks + self.likes + 3 * self.follows

    @property
    def posts_tb_a_year(self) -> float:
        return self.dau * POSTS * 365 * POST_DOC_BYTES / 1e12

    @property
    def notifications_tb(self) -> float:
        kept = self.dau * NOTIFICATIONS_PER_DAU * NOTIFICATION_RETENTION_DAYS
        return kept * NOTIFICATION_DOC_BYTES / 1e12

    @property
    def timeline_shards(self) -> int:
        by_size = math.ceil(self.timeline_tb_a_year / MONGO_TB_PER_SHARD)
        by_writes = math.ceil(self.timeline_writes / MONGO_WRITES_PER_SHARD)
        return max(by_size, by_writes)


def replicas(cores: float) -> int:
    """Pods the HPA keeps at its target, each requesting one core."""
    return max(MIN_REPLICAS, math.ceil(cores / (POD_CORES * HPA_TARGET)))


def busiest_queue(tier: Tier) -> str:
    name, rate = max(tier.deliveries().items(), key=lambda item: item[1])
    return f"{number(rate)} ({name})"


def users(dau: int) -> str:
    return f"{dau // 1_000_000} M" if dau >= 1_000_000 else f"{dau // 1_000} k"


def number(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


# The second table: 1 M daily active users under other followers per account (socfb-Reed98's
# 39, the plan's, twice the plan's) and timeline CPU per fanned-out entry.
SENSITIVITY_DAU = 1_000_000
SENSITIVITY_FOLLOWERS = (39, MEAN_FOLLOWERS, 2 * MEAN_FOLLOWERS)
SENSITIVITY_PER_ENTRY_MS = (TIMELINE_PER_ENTRY_MS, 0.05)


def render() -> str:
    return render_plan() + "\n" + render_sensitivity()


def render_sensitivity() -> str:
    lines = [
        f"| {users(SENSITIVITY_DAU)} DAU: followers per account, timeline ms per entry "
        "| home entries/s | timeline cores / replicas | timeline shards |",
        "|---|---:|---:|---:|",
    ]
    for followers in SENSITIVITY_FOLLOWERS:
        for per_entry_ms in SENSITIVITY_PER_ENTRY_MS:
            tier = Tier(SENSITIVITY_DAU, followers, per_entry_ms)
            cores = tier.cores()["timeline"]
            lines.append(
                f"| {followers}, {per_entry_ms} | {number(tier.entries)} "
                f"| {cores:.1f} / {replicas(cores)} | {tier.timeline_shards} |"
            )
    return "\n".join(lines) + "\n"


def render_plan() -> str:
    tiers = [Tier(dau) for dau in TIERS]
    rows: list[tuple[str, list[str]]] = [
        ("registered accounts", [number(t.dau * ACCOUNTS_PER_DAU) for t in tiers]),
        ("requests/s (all types)", [number(t.requests) for t in tiers]),
        ("… home / profile pages/s", [f"{number(t.home)} / {number(t.profile)}" for t in tiers]),
        ("… posts / likes/s", [f"{t.posts:.1f} / {number(t.likes)}" for t in tiers]),
        ("home feed entries fanned out/s (Redis)", [number(t.entries) for t in tiers]),
        ("events delivered/s", [number(sum(t.deliveries().values())) for t in tiers]),
    ]
    for name, maximum in MAX_REPLICAS.items():
        cells = [f"{t.cores()[name]:.1f} / {replicas(t.cores()[name])}" for t in tiers]
        rows.append((f"{name}: cores / replicas (today's maximum: {maximum})", cells))
    rows += [
        ("RabbitMQ: the busiest queue, deliveries/s", [busiest_queue(t) for t in tiers]),
        ("RabbitMQ: cores in all (3-node cluster)", [f"{t.broker_cores:.1f}" for t in tiers]),
        ("Redis: cores", [f"{t.redis_cores:.2f}" for t in tiers]),
    ]
    for cap in (HOME_TIMELINE_CAP, SMALLER_FEED_CACHE_CAP):
        cells = [f"{t.feed_store_gb(cap):.1f} / {t.redis_primaries(cap)}" for t in tiers]
        rows.append((f"Redis, feed cap {cap}: GB / primaries", cells))
    rows += [
        (
            "MongoDB: timeline, TB a year (of it, insights' reach records)",
            [f"{t.timeline_tb_a_year:.2f} ({t.reach_tb_a_year:.2f})" for t in tiers],
        ),
        ("MongoDB: timeline documents written/s", [number(t.timeline_writes) for t in tiers]),
        ("MongoDB: timeline shards (a year's data)", [str(t.timeline_shards) for t in tiers]),
        ("MongoDB: posts, TB a year", [f"{t.posts_tb_a_year:.2f}" for t in tiers]),
        ("MongoDB: notifications (90 days), TB", [f"{t.notifications_tb:.2f}" for t in tiers]),
    ]
    header = (
        "| estimate (rates: the busiest hour) | "
        + " | ".join(f"{users(t.dau)} DAU" for t in tiers)
        + " |"
    )
    lines = [header, "|---|" + "---:|" * len(tiers)]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
