"""The posts service's FastAPI app: `uvicorn posts.app:create_app --factory`."""

from functools import partial

import httpx
from fastapi import FastAPI

from posts.api import remix_requests_router, router
from posts.components import compose
from posts.handlers import subscriptions
from posts.likes import LIKE_INDEXES
from posts.repository import INDEXES, POSTS
from posts.settings import PostsSettings
from shared.relations import BLOCK_REPLICA, MUTE_REPLICA, relation_replica_indexes
from shared.service_app import ServiceSpec, create_service_app


def create_app(
    settings: PostsSettings | None = None,
    *,
    users_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`users_transport` lets tests serve the users service's API from an in-process app."""
    return create_service_app(
        ServiceSpec(
            settings=settings or PostsSettings(),
            title="CoPost posts",
            compose=partial(compose, users_transport=users_transport),
            routers=[router, remix_requests_router],
            subscriptions=subscriptions,
            indexes=[
                *INDEXES,
                *LIKE_INDEXES,
                *relation_replica_indexes(BLOCK_REPLICA),
                *relation_replica_indexes(MUTE_REPLICA),
            ],
            outbox_collections=[POSTS],
        )
    )
