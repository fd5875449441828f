"""Events published by the federation service."""

from datetime import datetime
from typing import Any

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
