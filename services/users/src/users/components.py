"""The users service's composition root: each capability's use cases, built once at start-up."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import httpx
from fastapi import Depends

from shared.clock import Clock, utc_now
from shared.media_client import MediaClient, media_service
from shared.mongo import migrate_once
from shared.service_app import Kernel, components_dependency
from users.accounts.commands import AccountCommands
from users.accounts.passwords import PasswordHasher
from users.accounts.queries import AccountQueries
from users.accounts.repository import SignInBudgetRepository
from users.accounts.rules import SignInBudget
from users.accounts.tokens import TokenIssuer
from users.availability.queries import AvailabilityQueries
from users.availability.rules import Feature, FeatureAvailability
from users.core.repository import AccountRepository
from users.eligibility.queries import EligibilityQueries
from users.relations.commands import RelationCommands
from users.relations.queries import RelationQueries
from users.relations.repository import RelationRepository
from users.remote.commands import RemoteAccountCommands
from users.remote.lookup import FederationLookup, federation_service
from users.sessions.commands import SessionCommands
from users.sessions.repository import RefreshTokenRepository
from users.settings import UsersSettings


@dataclass(frozen=True, slots=True)
class UsersComponents:
    accounts: AccountCommands
    account_queries: AccountQueries
    tokens: TokenIssuer
    sessions: SessionCommands
    relations: RelationCommands
    relation_queries: RelationQueries
    eligibility: EligibilityQueries
    availability: AvailabilityQueries
    remote_accounts: RemoteAccountCommands


@asynccontextmanager
async def compose(
    kernel: Kernel[UsersSettings],
    *,
    clock: Clock = utc_now,
    media_transport: httpx.AsyncBaseTransport | None = None,
    federation_transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[UsersComponents]:
    """`clock` is the availability windows' (tests move it); other times are the real now.
    `media_transport` and `federation_transport` let tests serve those services' APIs from
    in-process apps."""
    settings = kernel.settings
    async with (
        media_service(settings, settings.media_url, transport=media_transport) as media,
        federation_service(
            settings, settings.federation_url, transport=federation_transport
        ) as federation,
    ):
        components = _components(kernel, clock, media, federation)
        await migrate_once(
            kernel.db, "users-remix-settings-announced", components.accounts.announce_remix_settings
        )
        await migrate_once(
            kernel.db, "users-block-hints", RelationRepository(kernel.db).hint_every_block
        )
        yield components


def _components(
    kernel: Kernel[UsersSettings], clock: Clock, media: MediaClient, federation: FederationLookup
) -> UsersComponents:
    settings = kernel.settings
    accounts = AccountRepository(kernel.db)
    relations = RelationRepository(kernel.db)
    # At start-up rather than import, so the key file is made where the service runs and
    # the ephemeral-key warning goes through the configured logging.
    tokens = TokenIssuer.from_settings(settings)
    sessions = SessionCommands(
        accounts,
        RefreshTokenRepository(kernel.db),
        tokens,
        timedelta(days=settings.refresh_token_ttl_days),
    )
    availability = AvailabilityQueries(accounts, availability_of(settings), clock)
    relation_queries = RelationQueries(accounts, relations)
    remote_accounts = RemoteAccountCommands(accounts, kernel.outbox, federation)
    return UsersComponents(
        accounts=AccountCommands(
            accounts,
            relations,
            kernel.outbox,
            password_hasher(settings),
            tokens,
            SignInBudgetRepository(kernel.db, sign_in_budget(settings)),
            sessions,
            media,
        ),
        account_queries=AccountQueries(
            accounts, relations, relation_queries, availability, remote_accounts
        ),
        tokens=tokens,
        sessions=sessions,
        relations=RelationCommands(accounts, relations, kernel.outbox, remote_accounts),
        relation_queries=relation_queries,
        eligibility=EligibilityQueries(accounts, relations),
        availability=availability,
        remote_accounts=remote_accounts,
    )


def password_hasher(settings: UsersSettings) -> PasswordHasher:
    return PasswordHasher(
        memory_kib=settings.password_hash_memory_kib,
        time_cost=settings.password_hash_time_cost,
        concurrency=settings.password_hashing_concurrency,
    )


def sign_in_budget(settings: UsersSettings) -> SignInBudget:
    return SignInBudget(settings.login_free_failures, settings.login_failure_decay_seconds)


def availability_of(settings: UsersSettings) -> dict[Feature, FeatureAvailability]:
    return {"coauthoring": settings.coauthoring_availability, "remix": settings.remix_availability}


Components = Annotated[UsersComponents, Depends(components_dependency(UsersComponents))]
