"""The timeline service's FastAPI app: `uvicorn timeline.app:create_app --factory`."""

from fastapi import FastAPI

from shared.redis_store import redis_answers
from shared.relations import MUTE_REPLICA, relation_replica_indexes
from shared.service_app import ServiceSpec, create_service_app
from shared.user_directory import USER_DIRECTORY_INDEXES
from timeline.components import compose
from timeline.core.repository import CARD_INDEXES
from timeline.engagement.repository import LIKE_INDEXES
from timeline.fanout.repository import FAN_OUT_INDEXES
from timeline.handlers import subscriptions
from timeline.insights import api as insights
from timeline.insights.repository import INSIGHTS_INDEXES
from timeline.reads import api as reads
from timeline.settings import TimelineSettings


def create_app(settings: TimelineSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            settings=settings or TimelineSettings(),
            title="CoPost timeline",
            compose=compose,
            routers=[reads.router, insights.router],
            subscriptions=subscriptions,
            degraded_checks={"redis": lambda components: redis_answers(components.redis)},
            indexes=[
                *CARD_INDEXES,
                *FAN_OUT_INDEXES,
                *LIKE_INDEXES,
                *INSIGHTS_INDEXES,
                *USER_DIRECTORY_INDEXES,
                *relation_replica_indexes(MUTE_REPLICA),
            ],
        )
    )
