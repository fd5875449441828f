"""The users service's FastAPI app: `uvicorn users.app:create_app --factory`."""

from functools import partial

from fastapi import FastAPI

from shared.clock import Clock, utc_now
from shared.service_app import ServiceSpec, create_service_app
from users.api import internal_router, public_router
from users.components import compose
from users.repository import INDEXES, OUTBOX_COLLECTIONS
from users.settings import UsersSettings


def create_app(settings: UsersSettings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    """`clock`: tests pass theirs to move through a feature's availability window."""
    return create_service_app(
        ServiceSpec(
            settings=settings or UsersSettings(),
            title="CoPost users",
            compose=partial(compose, clock=clock),
            routers=[public_router],
            internal_routers=[internal_router],
            indexes=INDEXES,
            outbox_collections=OUTBOX_COLLECTIONS,
        )
    )
