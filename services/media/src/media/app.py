"""The media service's FastAPI app: `uvicorn media.app:create_app --factory`."""

from fastapi import FastAPI

from media.attaching import api as attaching
from media.avatars import api as avatars
from media.components import compose
from media.core import api as core
from media.core.repository import MEDIA, MEDIA_INDEXES, MEDIA_PERSONAL_DATA
from media.exporting import api as exporting
from media.handlers import subscriptions
from media.previews import api as previews
from media.serving import api as serving
from media.settings import MediaSettings
from media.uploading import api as uploading
from shared.service_app import ServiceSpec, create_service_app


def create_app(settings: MediaSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            settings=settings or MediaSettings(),
            title="CoPost media",
            compose=compose,
            routers=[uploading.router, core.router, serving.router],
            subscriptions=subscriptions,
            indexes=MEDIA_INDEXES,
            internal_routers=[attaching.router, avatars.router, exporting.router, previews.router],
            outbox_collections=[MEDIA],
            personal_data=MEDIA_PERSONAL_DATA,
        )
    )
