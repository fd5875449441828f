"""The notifications service's FastAPI app: `uvicorn notifications.app:create_app --factory`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from notifications.api import router
from notifications.handlers import engagement_handlers, notification_event_handlers
from notifications.likes import LikeGroups
from notifications.notifier import LocalWakeups, Notifier
from notifications.queries import NotificationQueries
from notifications.repository import NotificationRepository, notification_indexes
from notifications.settings import NotificationsSettings
from notifications.stream import NotificationFeed, NotificationStreams
from shared.bus import EventHandler
from shared.relations import MUTE_REPLICA, RelationReplica, relation_replica_indexes
from shared.service_app import ServiceRuntime, ServiceSpec, create_service_app
from shared.user_directory import USER_DIRECTORY_INDEXES, UserDirectory


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    # Shared by the consumers and the streams of this process: a stored notification wakes
    # the streams of its recipient at once.
    wakeups = LocalWakeups(settings.max_streams_per_account)

    def event_handlers(runtime: ServiceRuntime) -> dict[str, EventHandler]:
        repository = NotificationRepository(runtime.db)
        mutes = RelationReplica(runtime.db, MUTE_REPLICA)
        notifier = Notifier(repository, wakeups, mutes)
        return {
            **notification_event_handlers(notifier, repository, UserDirectory(runtime.db)),
            **engagement_handlers(LikeGroups(runtime.db, repository, notifier), mutes),
        }

    @asynccontextmanager
    async def hook(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[None]:
        repository = NotificationRepository(runtime.db)
        queries = NotificationQueries(repository, UserDirectory(runtime.db))
        app.state.queries = queries
        app.state.streams = NotificationStreams(repository, queries, wakeups, settings)
        feed = NotificationFeed(repository, wakeups, settings)
        feed.start()
        try:
            yield
        finally:
            await feed.stop()

    spec = ServiceSpec(
        settings=settings,
        title="CoPost notifications",
        routers=[router],
        indexes=[
            *notification_indexes(
                notification_retention_seconds=settings.notification_retention_seconds,
                withdrawal_marker_retention_seconds=settings.withdrawal_marker_retention_seconds,
            ),
            *USER_DIRECTORY_INDEXES,
            *relation_replica_indexes(MUTE_REPLICA),
        ],
        event_handlers=event_handlers,
        hook=hook,
    )
    return create_service_app(spec)
