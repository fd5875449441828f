"""The invitations service's FastAPI app: `uvicorn invitations.app:create_app --factory`."""

from functools import partial

import httpx
from fastapi import FastAPI

from invitations.answers import api as answers
from invitations.components import compose
from invitations.core import api as core
from invitations.core.repository import (
    INVITATION_INDEXES,
    INVITATION_PERSONAL_DATA,
    INVITATIONS,
)
from invitations.handlers import subscriptions
from invitations.settings import InvitationsSettings
from shared.service_app import ServiceSpec, create_service_app
from shared.user_directory import USER_DIRECTORY_INDEXES


def create_app(
    settings: InvitationsSettings | None = None,
    *,
    users_transport: httpx.AsyncBaseTransport | None = None,
    media_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The transports let tests serve the users and media services' APIs in process."""
    return create_service_app(
        ServiceSpec(
            settings=settings or InvitationsSettings(),
            title="CoPost invitations",
            compose=partial(
                compose, users_transport=users_transport, media_transport=media_transport
            ),
            routers=[core.router, answers.router],
            subscriptions=subscriptions,
            indexes=[*INVITATION_INDEXES, *USER_DIRECTORY_INDEXES],
            outbox_collections=[INVITATIONS],
            personal_data=INVITATION_PERSONAL_DATA,
        )
    )
