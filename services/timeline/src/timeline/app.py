"""The timeline service's FastAPI app: `uvicorn timeline.app:create_app --factory`."""

from functools import partial

import httpx
from fastapi import FastAPI

from shared.redis_store import redis_answers
from shared.relations import BLOCK_REPLICA, MUTE_REPLICA, relation_replica_indexes
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


def create_app(
    settings: TimelineSettings | None = None,
    *,
    users_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`users_transport` lets tests serve the users service's API from an in-process app."""
    return create_service_app(
        ServiceSpec(
            settings=settings or TimelineSettings(),
            title="CoPost timeline",
            compose=partial(compose, users_transport=users_transport),
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
                *relation_replica_indexes(BLOCK_REPLICA, by_target=True),
            ],
        )
    )
