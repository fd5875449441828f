"""Whether each local account admits remixes of its posts automatically, as the users service
tells it, kept here so a Note can say so in its `interactionPolicy` without asking the users
service: `user.registered` (the defaults: everyone, automatic), then each
`user.remix_settings_changed` (also sent once for every account older than these events).
An account never heard of needs approval: this service cannot know it kept the defaults, and
a needless request is still answered, while a quote shown without the approval its author
wanted cannot be taken back from the servers that showed it. A late or repeated event changes
nothing."""

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from shared.events.users import UserDeleted, UserRegistered, UserRemixSettingsChanged
from shared.mongo import Database
from shared.subscriptions import Delivery, Subscriptions

QUOTE_POLICIES = "quote_policies"


def admits_automatically(policy: str, approval: str) -> bool:
    """A remix by anyone (not blocked) shows its original at once: no one's approval needed."""
    return policy == "everyone" and approval == "automatic"


@dataclass(frozen=True, slots=True)
class QuotePolicies:
    db: Database

    async def automatic_for(self, user_id: str) -> bool:
        stored = await self.db[QUOTE_POLICIES].find_one({"_id": user_id})
        return stored is not None and bool(stored["automatic"])

    async def registered(self, delivery: Delivery[UserRegistered]) -> None:
        """A new local account has the defaults (a remote one's Notes are not served here)."""
        account = delivery.event
        if account.domain is None:
            await self._keep(account.user_id, automatic=True, as_of=account.created_at)

    async def settings_changed(self, delivery: Delivery[UserRemixSettingsChanged]) -> None:
        changed = delivery.event
        automatic = admits_automatically(changed.remix_policy, changed.remix_approval)
        await self._keep(changed.user_id, automatic=automatic, as_of=changed.changed_at)

    async def _keep(self, user_id: str, *, automatic: bool, as_of: datetime) -> None:
        with suppress(DuplicateKeyError):  # as new a setting is stored
            await self.db[QUOTE_POLICIES].update_one(
                {"_id": user_id, "as_of": {"$lt": as_of}},
                {"$set": {"automatic": automatic, "as_of": as_of}},
                upsert=True,
            )

    async def user_deleted(self, delivery: Delivery[UserDeleted]) -> None:
        await self.db[QUOTE_POLICIES].delete_one({"_id": delivery.event.user_id})

    def subscriptions(self) -> Subscriptions:
        subscriptions = Subscriptions()
        subscriptions.on(UserRegistered, self.registered)
        subscriptions.on(UserRemixSettingsChanged, self.settings_changed)
        subscriptions.on(UserDeleted, self.user_deleted)
        return subscriptions
