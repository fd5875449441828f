"""Which events the users service handles: the remote actors the federation service saw,
kept as accounts with a domain (an upsert that a repeated or older sighting leaves as is)."""

from shared.events.federation import RemoteAccountSeen
from shared.subscriptions import Subscriptions
from users.components import UsersComponents


def subscriptions(components: UsersComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.on(RemoteAccountSeen, components.remote_accounts.account_seen)
    return subscriptions
