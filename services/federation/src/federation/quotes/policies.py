"""Whether each local account admits remixes of its posts automatically, as the users service
tells it (`user.remix_settings_changed`), kept here so a Note can say so in its
`interactionPolicy` without asking the users service. An account never heard of has the
defaults (everyone, automatic); a late or repeated event changes nothing."""

from contextlib import suppress
from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from shared.events.users import UserDeleted, UserRemixSettingsChanged
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
        return True if stored is None else bool(stored["automatic"])

    async def settings_changed(self, delivery: Delivery[UserRemixSettingsChanged]) -> None:
        changed = delivery.event
        automatic = admits_automatically(changed.remix_policy, changed.remix_approval)
        with suppress(DuplicateKeyError):  # a newer change is stored
            await self.db[QUOTE_POLICIES].update_one(
                {"_id": changed.user_id, "as_of": {"$lt": changed.changed_at}},
                {"$set": {"automatic": automatic, "as_of": changed.changed_at}},
                upsert=True,
            )

    async def user_deleted(self, delivery: Delivery[UserDeleted]) -> None:
        await self.db[QUOTE_POLICIES].delete_one({"_id": delivery.event.user_id})

    def subscriptions(self) -> Subscriptions:
        subscriptions = Subscriptions()
        subscriptions.on(UserRemixSettingsChanged, self.settings_changed)
        subscriptions.on(UserDeleted, self.user_deleted)
        return subscriptions
