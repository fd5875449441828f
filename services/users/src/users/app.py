"""The users service's FastAPI app: `uvicorn users.app:create_app --factory`."""

from functools import partial

import httpx
from fastapi import FastAPI

from shared.clock import Clock, utc_now
from shared.service_app import ServiceSpec, create_service_app
from users.accounts import api as accounts
from users.accounts.repository import SIGN_IN_BUDGET_INDEXES
from users.availability import api as availability
from users.components import compose
from users.core.repository import ACCOUNT_INDEXES, ACCOUNT_PERSONAL_DATA, USERS
from users.eligibility import api as eligibility
from users.handlers import subscriptions
from users.relations import api as relations
from users.relations.repository import (
    RELATION_COLLECTIONS,
    RELATION_INDEXES,
    RELATION_PERSONAL_DATA,
)
from users.sessions import api as sessions
from users.sessions.repository import SESSION_INDEXES
from users.settings import UsersSettings


def create_app(
    settings: UsersSettings | None = None,
    *,
    clock: Clock = utc_now,
    media_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """`clock`: tests pass theirs to move through a feature's availability window;
    `media_transport` serves them the media service's API from an in-process app."""
    return create_service_app(
        ServiceSpec(
            settings=settings or UsersSettings(),
            title="CoPost users",
            compose=partial(compose, clock=clock, media_transport=media_transport),
            routers=[accounts.router, sessions.router, relations.router],
            subscriptions=subscriptions,
            internal_routers=[
                accounts.internal_router,
                eligibility.internal_router,
                availability.internal_router,
                relations.internal_router,
            ],
            indexes=[
                *ACCOUNT_INDEXES,
                *SIGN_IN_BUDGET_INDEXES,
                *SESSION_INDEXES,
                *RELATION_INDEXES,
            ],
            outbox_collections=[USERS, *RELATION_COLLECTIONS],
            personal_data=[*ACCOUNT_PERSONAL_DATA, *RELATION_PERSONAL_DATA],
        )
    )
