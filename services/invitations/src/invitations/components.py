"""The invitations service's composition root: each capability's use cases, built once."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends

from invitations.answers.commands import AnswerCommands
from invitations.coauthoring.commands import CoauthoringCommands
from invitations.coauthoring.repository import RemovalRepository
from invitations.core.commands import InvitationCommands
from invitations.core.queries import InvitationQueries
from invitations.core.repository import InvitationRepository
from invitations.expiry.commands import ExpiryCommands
from invitations.settings import InvitationsSettings
from shared.internal_http import users_service
from shared.media_client import media_service
from shared.periodic import PeriodicTask, running
from shared.service_app import Kernel, components_dependency
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class InvitationsComponents:
    queries: InvitationQueries
    answers: AnswerCommands
    coauthoring: CoauthoringCommands
    expiry: ExpiryCommands
    directory: UserDirectory


@asynccontextmanager
async def compose(
    kernel: Kernel[InvitationsSettings],
    *,
    users_transport: httpx.AsyncBaseTransport | None = None,
    media_transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[InvitationsComponents]:
    """The transports let tests serve the users and media services' APIs in process."""
    settings = kernel.settings
    repository = InvitationRepository(kernel.db)
    directory = UserDirectory(kernel.db)
    invitations = InvitationCommands(repository, kernel.outbox)
    expiry = ExpiryCommands(repository, invitations, batch_size=settings.expiry_batch_size)
    sweep = PeriodicTask(
        "invitation-expiry", expiry.sweep, interval_seconds=settings.expiry_sweep_seconds
    )
    async with (
        users_service(settings, settings.users_url, transport=users_transport) as users,
        media_service(settings, settings.media_url, transport=media_transport) as media,
        running(sweep),
    ):
        yield InvitationsComponents(
            queries=InvitationQueries(repository, directory, media),
            answers=AnswerCommands(repository, invitations, users),
            coauthoring=CoauthoringCommands(
                repository,
                RemovalRepository(kernel.db),
                invitations,
                directory,
                kernel.outbox,
                ttl_seconds=settings.invitation_ttl_seconds,
            ),
            expiry=expiry,
            directory=directory,
        )


Components = Annotated[InvitationsComponents, Depends(components_dependency(InvitationsComponents))]
