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
from shared.redis_store import RedisClient, create_redis
from shared.relations import BLOCK_REPLICA, MUTE_REPLICA, BlockGuard, RelationReplica
from shared.service_app import Kernel, components_dependency
from shared.user_directory import UserDirectory
from timeline.core.feed_cache import FeedCache
from timeline.core.repository import PostCardRepository
from timeline.engagement.commands import EngagementCommands
from timeline.engagement.repository import LikeRepository, move_counts_to_cards
from timeline.fanout.commands import FanOutCommands
from timeline.fanout.repository import EntryRepository, FollowRepository
from timeline.insights.commands import InsightsCommands
from timeline.insights.queries import InsightsQueries
from timeline.insights.repository import InsightsRepository
from timeline.reads.queries import TimelineQueries
from timeline.settings import TimelineSettings


@dataclass(frozen=True, slots=True)
class TimelineComponents:
    fan_out: FanOutCommands
    timelines: TimelineQueries
    engagement: EngagementCommands
    insights: InsightsQueries
    attributions: InsightsCommands
    directory: UserDirectory
    mutes: RelationReplica
    blocks: RelationReplica
    # Home and profile feeds in Redis; None when no Redis is configured.
    redis: RedisClient | None = None


@asynccontextmanager
async def compose(
    kernel: Kernel[TimelineSettings], *, users_transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[TimelineComponents]:
    """`users_transport` lets tests serve the users service's API from an in-process app."""
    db, settings = kernel.db, kernel.settings
    redis = create_redis(settings)
    feeds = (
        FeedCache(redis, settings.redis_key_prefix, settings.home_timeline_cap) if redis else None
    )
    await migrate_once(db, "timeline-entry-positions", EntryRepository(db).store_positions)
    await migrate_once(db, "timeline-counts-on-cards", partial(move_counts_to_cards, db))
    cards, likes, insights = PostCardRepository(db), LikeRepository(db), InsightsRepository(db)
    directory, mutes = UserDirectory(db), RelationReplica(db, MUTE_REPLICA)
    blocks = RelationReplica(db, BLOCK_REPLICA)
    try:
        async with users_service(settings, settings.users_url, transport=users_transport) as users:
            yield TimelineComponents(
                fan_out=fan_out_commands(settings, db, feeds),
                timelines=TimelineQueries(
                    FollowRepository(db),
                    cards,
                    EntryRepository(db, feeds),
                    directory,
                    likes,
                    mutes,
                    BlockGuard(users, blocks),
                ),
                engagement=EngagementCommands(cards, likes),
                insights=InsightsQueries(cards, insights, likes, directory),
                attributions=InsightsCommands(insights),
                directory=directory,
                mutes=mutes,
                blocks=blocks,
                redis=redis,
            )
    finally:
        if redis is not None:
            await redis.aclose()


def fan_out_commands(
    settings: TimelineSettings, db: Database, feeds: FeedCache | None = None
) -> FanOutCommands:
    return FanOutCommands(
        settings,
        PostCardRepository(db),
        FollowRepository(db),
        EntryRepository(db, feeds),
        InsightsRepository(db),
    )


Components = Annotated[TimelineComponents, Depends(components_dependency(TimelineComponents))]
