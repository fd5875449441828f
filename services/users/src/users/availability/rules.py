"""Which accounts may use a feature under a limited test: the pure rule, with the time
passed in.

X tested CoTweets with select accounts, in select countries, for a limited time. A feature's
test population is: within the window [starts_at, ends_at), every allow-listed account id,
plus the accounts in one of the countries (any country when none is listed) whose stable
bucket falls under the percentage. The defaults admit everyone, always.

The country is where the request comes from, as a trusted proxy in front of the gateway
says (`COUNTRY_HEADER`, signed into the gateway's assertion), never what a user declares
(issue 23); the allow-list names account ids, which a re-registered handle does not inherit.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from users.core.rules import normalize_country

type Feature = Literal["coauthoring", "remix"]
FEATURES: tuple[Feature, ...] = ("coauthoring", "remix")
# Buckets of 0.01 %: a percentage with two decimals is exact.
BUCKETS = 10_000


class FeatureAvailability(BaseModel):
    """One feature's test population, as a setting (JSON in the environment)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    percentage: float = Field(default=100.0, ge=0, le=100)
    allow_ids: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @field_validator("countries")
    @classmethod
    def _iso_countries(cls, countries: frozenset[str]) -> frozenset[str]:
        return frozenset(normalize_country(country) for country in countries)


@dataclass(frozen=True, slots=True)
class AccountFacts:
    user_id: str
    # Where the request comes from, as a trusted proxy says; None when nobody trusted said.
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
    if account.user_id in availability.allow_ids:
        return True
    if availability.countries and account.country not in availability.countries:
        return False
    return bucket(feature, account.user_id) < availability.percentage * BUCKETS / 100
