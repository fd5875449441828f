"""The notifications service's composition root: its components, built once at start-up."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from notifications.commands import Notifier
from notifications.likes import LikeGroups
from notifications.queries import NotificationQueries
from notifications.repository import NotificationRepository
from notifications.settings import NotificationsSettings
from notifications.stream import LocalWakeups, NotificationFeed, NotificationStreams
from shared.periodic import running
from shared.relations import MUTE_REPLICA, RelationReplica
from shared.service_app import Kernel, components_dependency
from shared.user_directory import UserDirectory


@dataclass(frozen=True)
class NotificationsComponents:
    """What routes and event handlers use: one of each per process."""

    directory: UserDirectory
    mutes: RelationReplica
    notifier: Notifier
    likes: LikeGroups
    queries: NotificationQueries
    streams: NotificationStreams


@asynccontextmanager
async def compose(
    kernel: Kernel[NotificationsSettings],
) -> AsyncIterator[NotificationsComponents]:
    settings = kernel.settings
    repository = NotificationRepository(kernel.db)
    directory = UserDirectory(kernel.db)
    mutes = RelationReplica(kernel.db, MUTE_REPLICA)
    # Shared by the consumers and the streams of this process: a stored notification wakes
    # the streams of its recipient at once.
    wakeups = LocalWakeups(settings.max_streams_per_account)
    notifier = Notifier(repository, wakeups, mutes)
    queries = NotificationQueries(repository, directory)
    feed = NotificationFeed(repository, wakeups, settings)
    async with running(feed):
        yield NotificationsComponents(
            directory=directory,
            mutes=mutes,
            notifier=notifier,
            likes=LikeGroups(kernel.db, repository, notifier),
            queries=queries,
            streams=NotificationStreams(repository, queries, wakeups, settings),
        )


Components = Annotated[
    NotificationsComponents, Depends(components_dependency(NotificationsComponents))
]
