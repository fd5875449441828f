"""The invitations service's FastAPI app: `uvicorn invitations.app:create_app --factory`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from invitations.api import router
from invitations.expiry import ExpiryScheduler
from invitations.handlers import invitation_event_handlers
from invitations.lifecycle import InvitationLifecycle
from invitations.queries import InvitationQueries
from invitations.repository import INVITATION_INDEXES, INVITATIONS, InvitationRepository
from invitations.settings import InvitationsSettings
from shared.bus import EventHandler
from shared.identity import AssertionSigner
from shared.internal_http import EligibilityClient, create_internal_client
from shared.service_app import ServiceRuntime, ServiceSpec, create_service_app
from shared.user_directory import USER_DIRECTORY_INDEXES, UserDirectory


def create_app(
    settings: InvitationsSettings | None = None,
    *,
    users_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`users_transport` lets tests serve the users service's API in process."""
    settings = settings or InvitationsSettings()

    def lifecycle_of(runtime: ServiceRuntime) -> InvitationLifecycle:
        return InvitationLifecycle(
            InvitationRepository(runtime.db),
            UserDirectory(runtime.db),
            runtime.relay,
            producer=settings.service_name,
            ttl_seconds=settings.invitation_ttl_seconds,
        )

    def event_handlers(runtime: ServiceRuntime) -> dict[str, EventHandler]:
        return invitation_event_handlers(lifecycle_of(runtime), UserDirectory(runtime.db))

    @asynccontextmanager
    async def hook(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[None]:
        lifecycle = lifecycle_of(runtime)
        scheduler = ExpiryScheduler(
            lifecycle,
            interval_seconds=settings.expiry_sweep_seconds,
            batch_size=settings.expiry_batch_size,
        )
        users_http = create_internal_client(
            settings.users_url,
            signer=AssertionSigner.from_settings(settings),
            audience="users",
            timeout_seconds=settings.internal_http_timeout_seconds,
            transport=users_transport,
        )
        app.state.lifecycle = lifecycle
        app.state.queries = InvitationQueries(
            InvitationRepository(runtime.db), UserDirectory(runtime.db)
        )
        app.state.eligibility = EligibilityClient(users_http)
        app.state.expiry_scheduler = scheduler
        scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()
            await users_http.aclose()

    spec = ServiceSpec(
        settings=settings,
        title="CoPost invitations",
        routers=[router],
        indexes=[*INVITATION_INDEXES, *USER_DIRECTORY_INDEXES],
        outbox_collections=[INVITATIONS],
        event_handlers=event_handlers,
        hook=hook,
    )
    return create_service_app(spec)
