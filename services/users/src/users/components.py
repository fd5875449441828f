"""The users service's composition root: its components, built once at start-up."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from shared.clock import Clock, utc_now
from shared.service_app import Kernel, components_dependency
from users.availability import Feature, FeatureAccess, FeatureAvailability
from users.commands import UserCommands
from users.domain import LoginBackoff
from users.passwords import PasswordHasher
from users.queries import UserQueries
from users.repository import UsersRepository
from users.settings import UsersSettings
from users.tokens import TokenIssuer


@dataclass(frozen=True)
class UsersComponents:
    commands: UserCommands
    queries: UserQueries
    features: FeatureAccess
    tokens: TokenIssuer


@asynccontextmanager
async def compose(
    kernel: Kernel[UsersSettings], *, clock: Clock = utc_now
) -> AsyncIterator[UsersComponents]:
    """`clock` is the availability windows' (tests move it); other times are the real now."""
    settings = kernel.settings
    repository = UsersRepository(kernel.db)
    # At start-up rather than import, so the key file is made where the service runs and
    # the ephemeral-key warning goes through the configured logging.
    tokens = TokenIssuer.from_settings(settings)
    features = FeatureAccess(repository, availability(settings), clock)
    commands = UserCommands(
        repository, kernel.outbox, password_hasher(settings), tokens, login_backoff(settings)
    )
    yield UsersComponents(
        commands=commands,
        queries=UserQueries(repository, features),
        features=features,
        tokens=tokens,
    )


def password_hasher(settings: UsersSettings) -> PasswordHasher:
    return PasswordHasher(
        memory_kib=settings.password_hash_memory_kib,
        time_cost=settings.password_hash_time_cost,
        concurrency=settings.password_hashing_concurrency,
    )


def login_backoff(settings: UsersSettings) -> LoginBackoff:
    return LoginBackoff(
        settings.login_free_failures,
        settings.login_backoff_base_seconds,
        settings.login_backoff_max_seconds,
    )


def availability(settings: UsersSettings) -> dict[Feature, FeatureAvailability]:
    return {"coauthoring": settings.coauthoring_availability, "remix": settings.remix_availability}


Components = Annotated[UsersComponents, Depends(components_dependency(UsersComponents))]
