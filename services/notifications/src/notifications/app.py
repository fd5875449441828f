"""The notifications service's FastAPI app: `uvicorn notifications.app:create_app --factory`."""

from fastapi import FastAPI

from notifications.components import compose
from notifications.core import api as core
from notifications.core.repository import NOTIFICATION_PERSONAL_DATA, notification_indexes
from notifications.editing.repository import ENGAGER_INDEXES
from notifications.handlers import subscriptions
from notifications.settings import NotificationsSettings
from notifications.streams import api as streams
from shared.relations import MUTE_REPLICA, relation_replica_indexes
from shared.service_app import ServiceSpec, create_service_app
from shared.user_directory import USER_DIRECTORY_INDEXES


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    spec = ServiceSpec(
        settings=settings,
        title="CoPost notifications",
        compose=compose,
        routers=[core.router, streams.router],
        subscriptions=subscriptions,
        indexes=[
            *notification_indexes(
                notification_retention_seconds=settings.notification_retention_seconds,
                withdrawal_marker_retention_seconds=settings.withdrawal_marker_retention_seconds,
            ),
            *USER_DIRECTORY_INDEXES,
            *relation_replica_indexes(MUTE_REPLICA),
            *ENGAGER_INDEXES,
        ],
        personal_data=NOTIFICATION_PERSONAL_DATA,
    )
    return create_service_app(spec)
