"""Which events the users service handles: the remote actors the federation service saw,
kept as accounts with a domain (an upsert that a repeated or older sighting leaves as is),
their follows of local accounts and their refusals of local accounts' follows (a follow
switched on or off once, whatever repeats), their deletions (deleted as a local account is) and
moves (their local followers moved to the new account)."""

from shared.events.federation import (
    RemoteAccountDeleted,
    RemoteAccountMoved,
    RemoteAccountSeen,
    RemoteFollowReceived,
    RemoteFollowRejected,
    RemoteUnfollowReceived,
)
from shared.subscriptions import Subscriptions
from users.components import UsersComponents


def subscriptions(components: UsersComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.on(RemoteAccountSeen, components.remote_accounts.account_seen)
    subscriptions.on(RemoteFollowReceived, components.relations.remote_follow_received)
    subscriptions.on(RemoteUnfollowReceived, components.relations.remote_unfollow_received)
    subscriptions.on(RemoteFollowRejected, components.relations.remote_follow_rejected)
    subscriptions.on(RemoteAccountDeleted, components.accounts.remote_account_deleted)
    subscriptions.on(RemoteAccountMoved, components.relations.remote_account_moved)
    return subscriptions
