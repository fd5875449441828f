"""The timeline service's FastAPI app: `uvicorn timeline.app:create_app --factory`."""

from fastapi import FastAPI

from shared.service_app import ServiceSpec, create_service_app
from timeline.api import router
from timeline.components import compose
from timeline.engagement import ENGAGEMENT_INDEXES
from timeline.handlers import subscriptions
from timeline.repository import INDEXES
from timeline.settings import TimelineSettings


def create_app(settings: TimelineSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            settings=settings or TimelineSettings(),
            title="CoPost timeline",
            compose=compose,
            routers=[router],
            subscriptions=subscriptions,
            indexes=[*INDEXES, *ENGAGEMENT_INDEXES],
        )
    )
