"""The users service's FastAPI app: `uvicorn users.app:create_app --factory`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shared.service_app import ServiceRuntime, ServiceSpec, create_service_app
from users.api import internal_router, public_router
from users.domain import LoginBackoff
from users.passwords import PasswordHasher
from users.repository import INDEXES, OUTBOX_COLLECTIONS
from users.commands import utc_now
from users.settings import UsersSettings
from users.tokens import TokenIssuer


def create_app(settings: UsersSettings | None = None) -> FastAPI:
    settings = settings or UsersSettings()

    @asynccontextmanager
    async def load_signing_key(app: FastAPI, _: ServiceRuntime) -> AsyncIterator[None]:
        # At start-up rather than import, so the key file is made where the service runs
        # and the ephemeral-key warning goes through the configured logging.
        app.state.tokens = TokenIssuer.from_settings(settings)
        yield

    app = create_service_app(
        ServiceSpec(
            settings=settings,
            title="CoPost users",
            routers=[public_router],
            internal_routers=[internal_router],
            indexes=INDEXES,
            outbox_collections=OUTBOX_COLLECTIONS,
            hook=load_signing_key,
        )
    )
    app.state.passwords = PasswordHasher(
        memory_kib=settings.password_hash_memory_kib,
        time_cost=settings.password_hash_time_cost,
        concurrency=settings.password_hashing_concurrency,
    )
    app.state.availability = {
        "coauthoring": settings.coauthoring_availability,
        "remix": settings.remix_availability,
    }
    # Tests replace it to move through an availability window.
    app.state.clock = utc_now
    app.state.login_backoff = LoginBackoff(
        settings.login_free_failures,
        settings.login_backoff_base_seconds,
        settings.login_backoff_max_seconds,
    )
    return app
