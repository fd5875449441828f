"""Event subscriptions: posts' and users' events open, close and cancel invitations.

Every handler is idempotent (inserts keyed by the invitation id, conditional updates from
the status decided on) and tolerates reordering (post.deleted and post.coauthor_removed
leave markers that a late post.created or post.coauthor_invited respects).
"""

from invitations.components import InvitationsComponents
from shared.events.posts import PostCoauthorInvited, PostCoauthorRemoved, PostCreated, PostDeleted
from shared.events.users import UserBlocked, UserDeleted
from shared.subscriptions import Subscriptions


def subscriptions(components: InvitationsComponents) -> Subscriptions:
    commands = components.commands
    subscriptions = Subscriptions()
    subscriptions.include(components.directory.subscriptions())
    subscriptions.on(PostCreated, commands.open_for_new_post)
    subscriptions.on(PostCoauthorInvited, commands.open_for_invited_coauthor)
    subscriptions.on(PostCoauthorRemoved, commands.close_for_removed_coauthor)
    subscriptions.on(PostDeleted, commands.cancel_for_deleted_post)
    subscriptions.on(UserBlocked, commands.cancel_for_block)
    subscriptions.on(UserDeleted, commands.cancel_for_deleted_account)
    return subscriptions
