"""Which events the federation service handles: the local users' profiles (who can be found
from the fediverse), a deleted account's keys and followers, its own deliveries, a remote
follower's follow ended here or blocked (a Reject to its server; blocks kept in a replica),
local users' follows of remote actors (Follow, and Undo once unfollowed), remote accounts
invited to co-author (an Invite), local likes and replies of remote posts (to their servers),
and local posts kept as the posts service describes them and sent to remote followers: a
Create once published, an Update when an edit, a co-author's acceptance, leaving or removal,
a hand-over or a medium's alt text changes its Note, a Delete once deleted (a repeated or late
event finds nothing to change, so sends nothing); and remixes across servers (a QuoteRequest
for a local remix of a remote post, the answers to remote ones, and each author's remix
settings for their Notes' quote policy).

Every handler is idempotent: profiles apply only when newer, deletions delete again, and a
repeated delivery posts an activity the remote recognises by its id.
"""

from federation.coauthoring.rules import local_invites_remote, remote_side_removed
from federation.components import FederationComponents
from federation.followees.rules import local_follows_remote
from federation.following.rules import remote_follower_left
from federation.outbound_engagement.rules import engages_remote_post
from federation.quotes.rules import local_remix_of_remote, of_local_original
from shared.events.federation import ActivityDeliveryRequested
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationCreated,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.media import MediaAltTextChanged
from shared.events.posts import (
    PostCoauthorAdded,
    PostCoauthorInvitationRefused,
    PostCoauthorRemoved,
    PostDeleted,
    PostEdited,
    PostHandedOver,
    PostLiked,
    PostPublished,
    PostRemixApproved,
    PostRemixRejected,
    PostRemixRemoved,
    PostRemixRequested,
    PostRemixRevoked,
    PostReplied,
    PostReplyRemoved,
    PostUnliked,
    RemixEvent,
)
from shared.events.users import UserBlocked, UserDeleted, UserFollowed, UserUnfollowed
from shared.relations import block_subscriptions
from shared.subscriptions import Delivery, Subscriptions


def subscriptions(components: FederationComponents) -> Subscriptions:
    subscriptions = Subscriptions()
    subscriptions.include(components.directory.subscriptions())

    async def user_deleted(delivery: Delivery[UserDeleted]) -> None:
        await components.keys.forget(delivery.event.user_id)
        await components.followers.forget_user(delivery.event.user_id)
        await components.followees.forget_user(delivery.event.user_id)
        await components.blocks.forget(delivery.event.user_id)

    subscriptions.on(UserDeleted, user_deleted)
    subscriptions.on(ActivityDeliveryRequested, components.deliveries.deliver)
    # Most follows are between local users: only those with a remote side concern federation
    # (the others are acknowledged without the processed-event log).
    subscriptions.on(
        UserUnfollowed, components.following.user_unfollowed, when=remote_follower_left
    )
    # Blocks are the users service's, learned as facts: a blocked remote follower is rejected.
    subscriptions.include(block_subscriptions(components.blocks))
    subscriptions.on(UserBlocked, components.following.user_blocked)
    # Local users following remote actors: Follow, and Undo(Follow) on unfollowing.
    followees = components.followees
    subscriptions.on(UserFollowed, followees.user_followed, when=local_follows_remote)
    subscriptions.on(UserUnfollowed, followees.user_unfollowed, when=local_follows_remote)
    # Local likes and replies of remote posts, to the posts' servers.
    outbound = components.outbound_engagement
    subscriptions.on(PostLiked, outbound.post_liked, when=engages_remote_post)
    subscriptions.on(PostUnliked, outbound.post_unliked)
    subscriptions.on(PostReplied, outbound.post_replied, when=engages_remote_post)
    subscriptions.on(PostReplyRemoved, outbound.reply_removed)
    # Co-authoring across servers: an Invite to a remote invitee's server; our users' answers
    # to remote Invites, and their leaving a remote post, to the author's server.
    coauthoring = components.coauthoring
    subscriptions.on(InvitationCreated, coauthoring.invitation_created, when=local_invites_remote)
    subscriptions.on(InvitationAccepted, coauthoring.invitation_accepted)
    subscriptions.on(InvitationDeclined, coauthoring.invitation_declined)
    subscriptions.on_each(
        [InvitationExpired, InvitationRevoked, InvitationCancelled], coauthoring.invitation_closed
    )
    subscriptions.on(PostCoauthorRemoved, coauthoring.coauthor_removed, when=remote_side_removed)
    subscriptions.on(PostCoauthorInvitationRefused, coauthoring.invitation_refused)
    # Each change to a post is one write of its document, carrying the event's id.
    publishing = components.publishing
    subscriptions.on(PostPublished, publishing.post_published, single_write=True)
    subscriptions.on(PostCoauthorAdded, publishing.coauthor_added, single_write=True)
    subscriptions.on(PostCoauthorRemoved, publishing.coauthor_removed, single_write=True)
    subscriptions.on(PostEdited, publishing.post_edited, single_write=True)
    subscriptions.on(PostDeleted, publishing.post_deleted, single_write=True)
    subscriptions.on(PostHandedOver, publishing.post_handed_over, single_write=True)
    # Remixes across servers (FEP-044f): a QuoteRequest out, the original's answers out.
    subscriptions.on(
        PostRemixRequested, components.quotes.remix_requested, when=local_remix_of_remote
    )
    # Whether each author admits quotes at once, for its Notes' interaction policy.
    subscriptions.include(components.quote_policies.subscriptions())
    # A remix's Note shows its authorization once the quotes slice has it (then an Update).
    remix_answers: tuple[type[RemixEvent], ...] = (
        PostRemixApproved,
        PostRemixRejected,
        PostRemixRevoked,
        PostRemixRemoved,
    )
    for remix_moved in remix_answers:
        subscriptions.on(remix_moved, components.quotes.remix_answered, when=of_local_original)
        subscriptions.on(
            remix_moved,
            publishing.remix_moved,
            after=components.quotes.remix_answered,
            single_write=True,
        )
    subscriptions.on(MediaAltTextChanged, publishing.alt_text_changed, single_write=True)
    return subscriptions
