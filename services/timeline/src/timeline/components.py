"""The timeline service's composition root: each capability's use cases, built once at start-up."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Annotated

import httpx
from fastapi import Depends

from shared.internal_http import users_service
from shared.mongo import Database, migrate_once
from shared.read_cache import CachedSets, CachedValues
from shared.redis_store import RedisClient, create_redis
from shared.relations import BLOCK_REPLICA, MUTE_REPLICA, BlockGuard, RelationReplica
from shared.service_app import Kernel, components_dependency
from shared.user_directory import DirectoryCache, UserDirectory, directory_cache
from timeline.core.feed_cache import FeedCache
from timeline.core.repository import PostCardRepository, card_cache
from timeline.core.rules import PostCard
from timeline.engagement.commands import EngagementCommands
from timeline.engagement.repository import LikeRepository, move_counts_to_cards
from timeline.fanout.commands import FanOutCommands
from timeline.fanout.repository import (
    EntryRepository,
    FollowRepository,
    HomeAnnouncements,
    retire_home_entries,
)
from timeline.insights.queries import InsightsQueries
from timeline.insights.repository import InsightsRepository, move_attributions_to_edges
from timeline.reads.queries import TimelineQueries
from timeline.settings import TimelineSettings

# What a page reads besides the feeds (cards, profiles, each reader's likes, mutes and
# followed celebrities) is kept in Redis this long after it was last copied from MongoDB. An
# hour keeps the pages people come back to warm while bounding how long a copy can stay stale
# when a failover loses the delete that should have removed it.
READ_CACHE_TTL_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class TimelineComponents:
    fan_out: FanOutCommands
    timelines: TimelineQueries
    engagement: EngagementCommands
    insights: InsightsQueries
    directory: UserDirectory
    mutes: RelationReplica
    blocks: RelationReplica
    # Home and profile feeds, and what a page shows of them, in Redis; None when no Redis
    # is configured.
    redis: RedisClient | None = None


@dataclass(frozen=True, slots=True)
class ReadCaches:
    """What the reads keep in Redis besides the feeds (see `shared.read_cache`)."""

    feeds: FeedCache
    cards: CachedValues[PostCard]
    directory: DirectoryCache
    liked_by_reader: CachedSets
    mutes: CachedSets
    celebrities_followed: CachedSets


def read_caches(redis: RedisClient, settings: TimelineSettings) -> ReadCaches:
    prefix, ttl = settings.redis_key_prefix, READ_CACHE_TTL_SECONDS
    return ReadCaches(
        feeds=FeedCache(redis, prefix, settings.home_timeline_cap),
        cards=card_cache(redis, prefix, ttl),
        directory=directory_cache(redis, prefix, ttl),
        liked_by_reader=CachedSets(redis, f"{prefix}liked:", ttl),
        mutes=CachedSets(redis, f"{prefix}mutes:", ttl),
        celebrities_followed=CachedSets(redis, f"{prefix}celebrities-followed:", ttl),
    )


@asynccontextmanager
async def compose(
    kernel: Kernel[TimelineSettings], *, users_transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[TimelineComponents]:
    """`users_transport` lets tests serve the users service's API from an in-process app."""
    db, settings = kernel.db, kernel.settings
    redis = create_redis(settings)
    caches = read_caches(redis, settings) if redis else None
    cards = PostCardRepository(db, caches.cards if caches else None)
    await migrate_once(db, "timeline-entry-positions", EntryRepository(db).store_positions)
    feeds = caches.feeds if caches else None
    await migrate_once(db, "timeline-home-entries-retired", partial(retire_home_entries, db, feeds))
    await migrate_once(db, "timeline-counts-on-cards", partial(move_counts_to_cards, db, cards))
    await migrate_once(
        db, "timeline-attributions-in-edges", partial(move_attributions_to_edges, db)
    )
    likes = LikeRepository(db, caches.liked_by_reader if caches else None)
    insights = InsightsRepository(db)
    directory = UserDirectory(db, caches.directory if caches else None)
    mutes = RelationReplica(db, MUTE_REPLICA, caches.mutes if caches else None)
    blocks = RelationReplica(db, BLOCK_REPLICA)
    try:
        async with users_service(settings, settings.users_url, transport=users_transport) as users:
            yield TimelineComponents(
                fan_out=fan_out_commands(
                    settings,
                    db,
                    caches,
                    HomeAnnouncements(redis, settings.redis_key_prefix, mutes) if redis else None,
                ),
                timelines=TimelineQueries(
                    follow_repository(db, caches),
                    cards,
                    EntryRepository(db, caches.feeds if caches else None),
                    directory,
                    likes,
                    mutes,
                    BlockGuard(users, blocks),
                ),
                engagement=EngagementCommands(cards, likes),
                insights=InsightsQueries(cards, insights, likes, directory, FollowRepository(db)),
                directory=directory,
                mutes=mutes,
                blocks=blocks,
                redis=redis,
            )
    finally:
        if redis is not None:
            await redis.aclose()


def fan_out_commands(
    settings: TimelineSettings,
    db: Database,
    caches: ReadCaches | None = None,
    announcements: HomeAnnouncements | None = None,
) -> FanOutCommands:
    return FanOutCommands(
        settings,
        PostCardRepository(db, caches.cards if caches else None),
        follow_repository(db, caches),
        EntryRepository(db, caches.feeds if caches else None),
        RelationReplica(db, BLOCK_REPLICA),
        InsightsRepository(db),
        announcements,
    )


def follow_repository(db: Database, caches: ReadCaches | None) -> FollowRepository:
    return FollowRepository(db, caches.celebrities_followed if caches else None)


Components = Annotated[TimelineComponents, Depends(components_dependency(TimelineComponents))]
