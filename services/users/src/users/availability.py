"""Feature availability, a capability of users: which accounts may use a feature under a limited
test (issue 13), the pure rule (clock passed in) and the use case that answers it for an account.

X tested CoTweets with select accounts, in select countries, for a limited time. A feature's
test population is: within the window [starts_at, ends_at), every allow-listed handle, plus
the accounts in one of the countries (any country when none is listed) whose stable bucket
falls under the percentage. The defaults admit everyone, always.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shared.clock import Clock
from shared.eligibility import Features
from users.domain import normalize_country
from users.repository import Account, UsersRepository

type Feature = Literal["coauthoring", "remix"]
FEATURES: tuple[Feature, ...] = ("coauthoring", "remix")
# Buckets of 0.01 %: a percentage with two decimals is exact.
BUCKETS = 10_000


class FeatureAvailability(BaseModel):
    """One feature's test population, as a setting (JSON in the environment)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    percentage: float = Field(default=100.0, ge=0, le=100)
    allow_handles: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @field_validator("allow_handles")
    @classmethod
    def _lower_case_handles(cls, handles: frozenset[str]) -> frozenset[str]:
        return frozenset(handle.lower() for handle in handles)

    @field_validator("countries")
    @classmethod
    def _iso_countries(cls, countries: frozenset[str]) -> frozenset[str]:
        return frozenset(normalize_country(country) for country in countries)


@dataclass(frozen=True)
class AccountFacts:
    user_id: str
    handle: str
    country: str | None


def bucket(feature: Feature, user_id: str) -> int:
    """The account's place in 0..9999 for this feature: stable, and independent per feature."""
    digest = hashlib.sha256(f"{feature}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def is_available(
    feature: Feature, availability: FeatureAvailability, account: AccountFacts, now: datetime
) -> bool:
    if availability.starts_at is not None and now < availability.starts_at:
        return False
    if availability.ends_at is not None and now >= availability.ends_at:
        return False
    if account.handle in availability.allow_handles:
        return True
    if availability.countries and account.country not in availability.countries:
        return False
    return bucket(feature, account.user_id) < availability.percentage * BUCKETS / 100


class FeatureAccess:
    """What an account may use now, under the limited tests of the settings and the clock."""

    def __init__(
        self,
        repository: UsersRepository,
        availability: Mapping[Feature, FeatureAvailability],
        clock: Clock,
    ) -> None:
        self._repository = repository
        self._availability = availability
        self._clock = clock

    async def of_user(self, user_id: str) -> Features:
        """What an account that no longer exists may use: nothing."""
        account = await self._repository.account(user_id)
        if account is None:
            return Features(coauthoring=False, remix=False)
        return self.of_account(account)

    def of_account(self, account: Account) -> Features:
        facts = AccountFacts(account.id, account.handle, account.country)
        now = self._clock()

        def available(feature: Feature) -> bool:
            limits = self._availability.get(feature, FeatureAvailability())
            return is_available(feature, limits, facts, now)

        return Features(coauthoring=available("coauthoring"), remix=available("remix"))
