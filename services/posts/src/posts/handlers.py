"""Which events the posts service handles, and by which use case (commands.EventCommands)."""

from posts.components import PostsComponents
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.posts import PostDeleted
from shared.events.users import UserBlocked, UserDeleted, UserUnblocked
from shared.relations import mute_subscriptions
from shared.subscriptions import Subscriptions


def subscriptions(components: PostsComponents) -> Subscriptions:
    events = components.events
    subscriptions = Subscriptions()
    subscriptions.include(components.directory.subscriptions())
    subscriptions.include(mute_subscriptions(components.mutes))
    subscriptions.on(InvitationAccepted, events.invitation_accepted)
    subscriptions.on_each(
        [InvitationDeclined, InvitationExpired, InvitationRevoked, InvitationCancelled],
        events.invitation_ended,
    )
    # The directory's tombstone first: a post created meanwhile is undone by seeing it.
    subscriptions.on(UserDeleted, events.account_deleted, after=components.directory.user_deleted)
    subscriptions.on(UserBlocked, events.user_blocked)
    subscriptions.on(UserUnblocked, events.user_unblocked)
    subscriptions.on(PostDeleted, events.original_deleted)
    return subscriptions
