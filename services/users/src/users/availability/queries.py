"""What an account may use now, under the limited tests of the settings and the clock."""

from collections.abc import Mapping
from dataclasses import dataclass

from shared.clock import Clock
from shared.eligibility import Features
from users.availability.rules import AccountFacts, Feature, FeatureAvailability, is_available
from users.core.repository import Account, AccountRepository


@dataclass(frozen=True, slots=True)
class AvailabilityQueries:
    accounts: AccountRepository
    availability: Mapping[Feature, FeatureAvailability]
    clock: Clock

    async def of_user(self, user_id: str, country: str | None) -> Features:
        """What an account that no longer exists may use: nothing."""
        account = await self.accounts.account(user_id)
        if account is None:
            return Features(coauthoring=False, remix=False)
        return self.of_account(account, country)

    def of_account(self, account: Account, country: str | None) -> Features:
        """`country`: where the request comes from, as the gateway's assertion says."""
        facts = AccountFacts(account.id, country)
        now = self.clock()

        def available(feature: Feature) -> bool:
            limits = self.availability.get(feature, FeatureAvailability())
            return is_available(feature, limits, facts, now)

        return Features(coauthoring=available("coauthoring"), remix=available("remix"))
