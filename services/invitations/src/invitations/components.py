"""The invitations service's composition root: its components, built once at start-up."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends

from invitations.commands import InvitationCommands
from invitations.expiry import ExpiryScheduler
from invitations.queries import InvitationQueries
from invitations.repository import InvitationRepository
from invitations.settings import InvitationsSettings
from shared.internal_http import users_service
from shared.periodic import running
from shared.service_app import Kernel, components_dependency
from shared.user_directory import UserDirectory


@dataclass(frozen=True)
class InvitationsComponents:
    commands: InvitationCommands
    queries: InvitationQueries
    directory: UserDirectory
    expiry: ExpiryScheduler


@asynccontextmanager
async def compose(
    kernel: Kernel[InvitationsSettings],
    *,
    users_transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[InvitationsComponents]:
    """`users_transport` lets tests serve the users service's API in process."""
    settings = kernel.settings
    repository = InvitationRepository(kernel.db)
    directory = UserDirectory(kernel.db)
    async with users_service(settings, settings.users_url, transport=users_transport) as users:
        commands = InvitationCommands(
            repository,
            directory,
            users,
            kernel.outbox,
            ttl_seconds=settings.invitation_ttl_seconds,
        )
        expiry = ExpiryScheduler(
            commands,
            interval_seconds=settings.expiry_sweep_seconds,
            batch_size=settings.expiry_batch_size,
        )
        async with running(expiry):
            yield InvitationsComponents(
                commands=commands,
                queries=InvitationQueries(repository, directory),
                directory=directory,
                expiry=expiry,
            )


Components = Annotated[InvitationsComponents, Depends(components_dependency(InvitationsComponents))]
