"""Which events the invitations service handles, and by which capability's use case."""

from invitations.components import InvitationsComponents
from shared.events.federation import RemoteInvitationAnswered
from shared.events.posts import (
    PostCoauthorInvited,
    PostCoauthorRemoved,
    PostCreated,
    PostDeleted,
    PostEdited,
)
from shared.events.users import UserBlocked, UserDeleted
from shared.subscriptions import Subscriptions


def subscriptions(components: InvitationsComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.include(components.directory.subscriptions())
    coauthoring = components.coauthoring
    subscriptions.on(PostCreated, coauthoring.post_created)
    subscriptions.on(PostCoauthorInvited, coauthoring.coauthor_invited)
    subscriptions.on(PostCoauthorRemoved, coauthoring.coauthor_removed)
    subscriptions.on(PostDeleted, coauthoring.post_deleted)
    subscriptions.on(PostEdited, coauthoring.post_edited)
    subscriptions.on(UserBlocked, coauthoring.user_blocked)
    subscriptions.on(UserDeleted, coauthoring.user_deleted)
    # A remote invitee's answer, as its server gave it: the invitee's own accept or decline.
    subscriptions.on(RemoteInvitationAnswered, components.answers.remote_answered)
    return subscriptions
