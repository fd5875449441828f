"""The notifications service's composition root: each capability's use cases, built once."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from notifications.core.commands import NotificationCommands
from notifications.core.queries import NotificationQueries
from notifications.core.repository import NotificationRepository, PostTextRepository
from notifications.editing.commands import EditCommands
from notifications.editing.repository import EngagerRepository
from notifications.engagement.commands import LikeCommands, ReplyCommands
from notifications.engagement.repository import GroupRepository
from notifications.settings import NotificationsSettings
from notifications.streams.queries import StreamQueries
from notifications.streams.wakeups import HomeUpdateRelay, LocalWakeups
from shared.periodic import BackgroundWork, PeriodicTask, running
from shared.read_cache import CachedSets
from shared.redis_store import create_redis
from shared.relations import MUTE_REPLICA, RelationReplica
from shared.service_app import Kernel, components_dependency
from shared.user_directory import UserDirectory

# A copy unread this long goes (memory stays bounded by the recipients notified meanwhile).
MUTES_TTL_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class NotificationsComponents:
    notifications: NotificationCommands
    queries: NotificationQueries
    likes: LikeCommands
    replies: ReplyCommands
    edits: EditCommands
    streams: StreamQueries
    directory: UserDirectory
    mutes: RelationReplica


@asynccontextmanager
async def compose(
    kernel: Kernel[NotificationsSettings],
) -> AsyncIterator[NotificationsComponents]:
    settings = kernel.settings
    repository = NotificationRepository(kernel.db)
    directory = UserDirectory(kernel.db)
    redis = create_redis(settings)
    # Each recipient's mutes, asked at every notification stored: a copy in Redis, when
    # there is one, spares the database that read (`shared.read_cache`).
    # (Its own keys: the timeline keeps a copy of its own replica's under `mutes:`.)
    mutes_cache = (
        CachedSets(redis, f"{settings.redis_key_prefix}notification-mutes:", MUTES_TTL_SECONDS)
        if redis is not None
        else None
    )
    mutes = RelationReplica(kernel.db, MUTE_REPLICA, mutes_cache)
    # Shared by the consumers and the streams of this process: a stored notification wakes
    # the streams of its recipient at once.
    wakeups = LocalWakeups(settings.max_streams_per_account)
    notifications = NotificationCommands(repository, wakeups, mutes, PostTextRepository(kernel.db))
    queries = NotificationQueries(repository, directory)
    streams = StreamQueries(repository, queries, wakeups, settings)
    feed = PeriodicTask(
        "notification-feed", streams.poll_feed, interval_seconds=settings.stream_poll_seconds
    )
    groups = GroupRepository(kernel.db)
    # Posts new in a recipient's home timeline reach its streams through Redis; none without.
    background: list[BackgroundWork] = [feed]
    if redis is not None:
        background.append(HomeUpdateRelay(redis, settings.redis_key_prefix, wakeups))
    try:
        async with running(*background):
            yield NotificationsComponents(
                notifications=notifications,
                queries=queries,
                likes=LikeCommands(groups, repository, notifications),
                replies=ReplyCommands(groups, repository, notifications),
                edits=EditCommands(EngagerRepository(kernel.db), notifications),
                streams=streams,
                directory=directory,
                mutes=mutes,
            )
    finally:
        if redis is not None:
            await redis.aclose()


Components = Annotated[
    NotificationsComponents, Depends(components_dependency(NotificationsComponents))
]
