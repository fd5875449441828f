"""Events published by the federation service."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.events.envelope import EventData


class ActivityDeliveryRequested(EventData):
    """An activity a local user sends to a remote inbox. The federation service consumes it
    itself: the signed POST happens off the request that caused it. A host that fails is backed
    off as a whole (its deliveries held in the federation database, tried again after a wait
    that doubles), and parked once it has failed for longer than `DELIVERY_GIVE_UP_SECONDS`."""

    event_type = "federation.activity_delivery_requested"
    sender_id: str
    key_id: str
    inbox: str
    activity: dict[str, Any]
    requested_at: datetime


class RemoteAccountSeen(EventData):
    """A remote actor was fetched or verified and its document is new or changed: the users
    service keeps it as an account with a `domain` (one that can never sign in). `user_id` is
    `shared.remote_accounts.remote_user_id(actor_url)`; `handle` is `preferredUsername@host`."""

    event_type = "federation.remote_account_seen"
    user_id: str
    handle: str
    display_name: str
    actor_url: str
    domain: str
    avatar_url: str | None = None
    seen_at: datetime


# -- What remote accounts did to local posts -------------------------------------------------
#
# Facts the federation service has verified (the activity's actor signed it), published once
# per activity id. The service that owns the capability consumes them and acts as for a local
# account: `user_id` is the remote account's CoPost id (shared.remote_accounts.remote_user_id),
# `activity_id` the remote activity's id (for logs and for tracing a fact to its activity).


class RemoteLikeReceived(EventData):
    """A remote account likes a local post."""

    event_type = "federation.remote_like_received"
    activity_id: str
    user_id: str
    post_id: str
    received_at: datetime


class RemoteLikeUndone(EventData):
    """A remote account takes its like of a local post back (Undo of the Like)."""

    event_type = "federation.remote_like_undone"
    activity_id: str
    user_id: str
    post_id: str
    undone_at: datetime


class RemoteAnnounceReceived(EventData):
    """A remote account shares (boosts) a local post to its followers. Its Undo is no fact:
    the share's notification stays, as a new follower's does after an unfollow."""

    event_type = "federation.remote_announce_received"
    activity_id: str
    user_id: str
    post_id: str
    received_at: datetime


class RemoteReplyReceived(EventData):
    """A remote account replies publicly to a local post. `reply_id` is the reply's local id,
    derived from `note_id` (the same Note is the same reply); `text` is the Note's content
    reduced to plain text, at most 5 000 characters (the posts service cuts it to its own
    limit for a reply)."""

    event_type = "federation.remote_reply_received"
    activity_id: str
    user_id: str
    post_id: str
    reply_id: str
    note_id: str
    text: str
    received_at: datetime


class RemoteReplyDeleted(EventData):
    """A remote account deletes its reply to a local post."""

    event_type = "federation.remote_reply_deleted"
    activity_id: str
    user_id: str
    post_id: str
    reply_id: str
    deleted_at: datetime


class RemoteFollowReceived(EventData):
    """A remote account (`follower_id`, seen in `federation.remote_account_seen`) follows a
    local one: the users service makes it its own follow and announces `user.followed`."""

    event_type = "federation.remote_follow_received"
    activity_id: str
    follower_id: str
    followee_id: str
    followed_at: datetime


class RemoteUnfollowReceived(EventData):
    """A remote account took its follow of a local one back (`Undo` of its `Follow`)."""

    event_type = "federation.remote_unfollow_received"
    activity_id: str
    follower_id: str
    followee_id: str
    unfollowed_at: datetime


class RemoteFollowRejected(EventData):
    """A remote account refused or ended a local account's follow of it (a `Reject` of the
    Follow, or an `Undo` of its `Accept`): the users service ends the follow."""

    event_type = "federation.remote_follow_rejected"
    activity_id: str
    follower_id: str
    followee_id: str
    rejected_at: datetime


class RemoteAccountDeleted(EventData):
    """A remote actor deleted itself (a `Delete` of the actor, signed by it): the users service
    deletes the account as a local account's deletion does (`user.deleted`, its follows both
    ways ended), so every service drops what it has of it."""

    event_type = "federation.remote_account_deleted"
    activity_id: str | None
    user_id: str
    deleted_at: datetime


class RemoteAccountMoved(EventData):
    """A remote actor moved to another (`Move`, verified: the new actor lists the old in its
    `alsoKnownAs`): the users service moves the local accounts following the old one to the
    new one, as Mastodon does."""

    event_type = "federation.remote_account_moved"
    activity_id: str | None
    from_user_id: str
    to_user_id: str
    moved_at: datetime


class RemoteAttachment(BaseModel):
    """A medium of a remote Note, where its server serves it: `kind` its ActivityStreams type
    (`Document`, `Image`, `Video`, `Audio`), `name` its alt text (plain text)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    url: str
    media_type: str | None = None
    name: str | None = None


class RemotePostReceived(EventData):
    """A remote account's post (a `Create` of a Note, not a reply) from an account local users
    follow or addressed to one of them: the posts service keeps it as a published post of
    that account (`post.created`, `post.published`), so it is fanned out like any post.
    `post_id` is `shared.remote_accounts.remote_post_id(note_id)`; `text` is the Note's content
    reduced to plain text (the posts service fits it to its own rules); `summary` its content
    warning, plain text; `attachments` its media, as the remote server serves them;
    `coauthor_ids` the remote co-authors the Note credits whose consent stamps checked out, in
    its order."""

    event_type = "federation.remote_post_received"
    minor_version = 1  # 1.1: coauthor_ids, summary, attachments
    activity_id: str
    post_id: str
    note_id: str
    url: str
    author_id: str
    text: str
    published_at: datetime
    coauthor_ids: tuple[str, ...] = ()
    summary: str | None = None
    attachments: tuple[RemoteAttachment, ...] = ()


class RemotePostEdited(EventData):
    """The remote account changed its post (an `Update` of the Note, newer than the last): its
    text, content warning and media, read as `RemotePostReceived`'s, and the remote co-authors
    credited now (those whose stamps still check out; one left out is no longer credited).
    `attachments` None: a 1.0 or 1.1 message, which did not tell the content warning and media
    (they stay as they were)."""

    event_type = "federation.remote_post_edited"
    minor_version = 2  # 1.1: coauthor_ids; 1.2: summary, attachments
    activity_id: str
    post_id: str
    author_id: str
    text: str
    edited_at: datetime
    coauthor_ids: tuple[str, ...] = ()
    summary: str | None = None
    attachments: tuple[RemoteAttachment, ...] | None = None


class RemotePostDeleted(EventData):
    """The remote account deleted its post (a `Delete` of the Note)."""

    event_type = "federation.remote_post_deleted"
    activity_id: str
    post_id: str
    author_id: str
    deleted_at: datetime


# -- Quotes (FEP-044f): remixes across servers -------------------------------------------------
#
# The posts service keeps one state machine for remixes; these facts feed it what the remote
# side decided. `remix_id` is the remix (the quoting post), `original_id` the quoted post.


class RemoteQuoteRequested(EventData):
    """A remote account asks to quote a local post (a `QuoteRequest` whose `instrument` is its
    quote post): the posts service keeps that Note as a post of the remote account that is a
    remix of `original_id`, admitted, awaiting approval or refused by the original's author's
    remix settings like a local remix. The fields of the quote post are those of
    `federation.remote_post_received`."""

    event_type = "federation.remote_quote_requested"
    activity_id: str
    remix_id: str
    original_id: str
    note_id: str
    url: str
    author_id: str
    text: str
    published_at: datetime
    requested_at: datetime


class RemoteQuoteAuthorized(EventData):
    """The quoted post's remote author accepted a local remix of it (an `Accept` of the
    `QuoteRequest` whose `result` is their `QuoteAuthorization`): the remix is approved."""

    event_type = "federation.remote_quote_authorized"
    activity_id: str
    remix_id: str
    original_id: str
    author_id: str
    authorization: str
    authorized_at: datetime


class RemoteQuoteRejected(EventData):
    """The quoted post's remote author refused a local remix of it (a `Reject`)."""

    event_type = "federation.remote_quote_rejected"
    activity_id: str
    remix_id: str
    original_id: str
    author_id: str
    rejected_at: datetime


class RemoteQuoteRevoked(EventData):
    """The quoted post's remote author took an authorization back (a `Delete` of it)."""

    event_type = "federation.remote_quote_revoked"
    activity_id: str
    remix_id: str
    original_id: str
    author_id: str
    revoked_at: datetime


# -- Co-authoring across servers -------------------------------------------------------------


class RemoteInvitationAnswered(EventData):
    """The remote account invited to co-author a local post answered from its server (an
    `Accept` or `Reject` of the `Invite` sent to it, from that account itself): the invitations
    service applies it as the invitee's own accept or decline, with the same rules (only while
    pending; an expired invitation stays expired)."""

    event_type = "federation.remote_invitation_answered"
    activity_id: str
    invitation_id: str
    invitee_id: str
    accepted: bool
    answered_at: datetime


class RemoteCoauthorLeft(EventData):
    """A remote co-author of a local post withdrew their consent (a `Delete` of their consent
    stamp): the posts service takes it as the co-author leaving the post."""

    event_type = "federation.remote_coauthor_left"
    activity_id: str
    post_id: str
    coauthor_id: str
    left_at: datetime


class RemoteCoauthorInvited(EventData):
    """A remote author invited a local account to co-author their post (an `Invite` of the
    Note, from the Note's author, whose Note was taken in as a remote post): the posts service
    adds the invitation to that post as an author's invitation (`post.coauthor_invited`), from
    which the invitations service opens it. `invitation_id` derives from the Invite's id."""

    event_type = "federation.remote_coauthor_invited"
    activity_id: str
    invitation_id: str
    post_id: str
    author_id: str
    invitee_id: str
    invited_at: datetime


class RemoteInvitationWithdrawn(EventData):
    """A remote author took back their invitation of a local account (an `Undo` of the
    `Invite`, from its own actor): while pending (revoked, cancelled or expired on their
    server) or once accepted (they removed the co-author). The posts service removes the entry
    as the author would (`post.coauthor_removed`, revoked or removed), which closes the
    invitation here."""

    event_type = "federation.remote_invitation_withdrawn"
    activity_id: str
    invitation_id: str
    post_id: str
    author_id: str
    invitee_id: str
    withdrawn_at: datetime
