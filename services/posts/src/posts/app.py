"""The posts service's FastAPI app: `uvicorn posts.app:create_app --factory`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from posts.api import engagement_of, remix_requests_router, router
from posts.handlers import event_handlers
from posts.likes import LIKE_INDEXES
from posts.repository import INDEXES, POSTS
from posts.settings import PostsSettings
from shared.identity import AssertionSigner
from shared.internal_http import EligibilityClient, create_internal_client
from shared.periodic import PeriodicTask
from shared.relations import BLOCK_REPLICA, MUTE_REPLICA, relation_replica_indexes
from shared.service_app import ServiceRuntime, ServiceSpec, create_service_app


def create_app(
    settings: PostsSettings | None = None,
    *,
    users_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`users_transport` lets tests serve the users service's API from an in-process app."""
    settings = settings or PostsSettings()

    @asynccontextmanager
    async def eligibility_client(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[None]:
        # Counters a crash left half settled are finished by this pass (issue 12).
        settling = PeriodicTask(
            "settle-engagement",
            engagement_of(runtime).settle_unsettled,
            interval_seconds=settings.outbox_sweep_seconds,
        )
        settling.start()
        async with create_internal_client(
            settings.users_url,
            signer=AssertionSigner.from_settings(settings),
            audience="users",
            timeout_seconds=settings.internal_http_timeout_seconds,
            transport=users_transport,
        ) as http:
            app.state.posts_settings = settings
            app.state.eligibility = EligibilityClient(http)
            try:
                yield
            finally:
                await settling.stop()

    return create_service_app(
        ServiceSpec(
            settings=settings,
            title="CoPost posts",
            routers=[router, remix_requests_router],
            indexes=[
                *INDEXES,
                *LIKE_INDEXES,
                *relation_replica_indexes(BLOCK_REPLICA),
                *relation_replica_indexes(MUTE_REPLICA),
            ],
            outbox_collections=[POSTS],
            event_handlers=event_handlers,
            hook=eligibility_client,
        )
    )
