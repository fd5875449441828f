"""Which events the posts service handles, by which capability's use case, in which order."""

from posts.components import PostsComponents
from shared.events.federation import (
    RemoteAnnounceReceived,
    RemoteCoauthorInvited,
    RemoteCoauthorLeft,
    RemoteLikeReceived,
    RemoteLikeUndone,
    RemotePostDeleted,
    RemotePostEdited,
    RemotePostReceived,
    RemoteQuoteAuthorized,
    RemoteQuoteRejected,
    RemoteQuoteRequested,
    RemoteQuoteRevoked,
    RemoteReplyDeleted,
    RemoteReplyReceived,
)
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.media import MediaAltTextChanged
from shared.events.posts import PostDeleted
from shared.events.users import UserBlocked, UserDeleted, UserUnblocked
from shared.relations import mute_subscriptions
from shared.subscriptions import Subscriptions


def subscriptions(components: PostsComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    directory = components.directory
    subscriptions.include(directory.subscriptions())
    subscriptions.include(mute_subscriptions(components.mutes))

    coauthoring = components.coauthoring
    subscriptions.on(InvitationAccepted, coauthoring.invitation_accepted)
    subscriptions.on_each(
        [InvitationDeclined, InvitationExpired, InvitationRevoked, InvitationCancelled],
        coauthoring.invitation_ended,
    )
    # The directory's tombstone first: a post created meanwhile is undone by seeing it.
    subscriptions.on(UserDeleted, coauthoring.user_deleted, after=directory.user_deleted)
    subscriptions.on(UserBlocked, coauthoring.user_blocked)
    subscriptions.on(RemoteCoauthorInvited, coauthoring.remote_coauthor_invited)
    subscriptions.on(RemoteCoauthorLeft, coauthoring.remote_coauthor_left)

    engagement = components.engagement
    # The account's posts deleted first: its replies stop counting on their parents.
    subscriptions.on(UserDeleted, engagement.user_deleted, after=coauthoring.user_deleted)
    subscriptions.on(UserBlocked, engagement.user_blocked)
    subscriptions.on(UserUnblocked, engagement.user_unblocked)
    # What remote accounts did, as the federation service verified it.
    subscriptions.on(RemoteLikeReceived, engagement.remote_like_received)
    subscriptions.on(RemoteLikeUndone, engagement.remote_like_undone)
    subscriptions.on(RemoteReplyReceived, engagement.remote_reply_received)
    subscriptions.on(RemoteReplyDeleted, components.authoring.remote_reply_deleted)
    subscriptions.on(RemoteAnnounceReceived, engagement.remote_announce_received)

    subscriptions.on(PostDeleted, components.remixing.post_deleted)
    subscriptions.on(MediaAltTextChanged, components.media_edits.alt_text_changed)

    remote = components.remote_posts
    subscriptions.on(RemotePostReceived, remote.remote_post_received)
    subscriptions.on(RemotePostEdited, remote.remote_post_edited)
    subscriptions.on(RemotePostDeleted, remote.remote_post_deleted)
    # Remixes across servers: the same remix states, fed by what the other server decided.
    quotes = components.remote_quotes
    subscriptions.on(RemoteQuoteRequested, quotes.quote_requested)
    subscriptions.on(RemoteQuoteAuthorized, quotes.quote_authorized)
    subscriptions.on(RemoteQuoteRejected, quotes.quote_rejected)
    subscriptions.on(RemoteQuoteRevoked, quotes.quote_revoked)
    return subscriptions
