"""Events published by the users service."""

from datetime import datetime
from typing import Literal

from shared.events.envelope import EventData
from shared.public_user import Avatar


class UserRegistered(EventData):
    event_type = "user.registered"
    minor_version = 1  # 1.1: domain
    user_id: str
    handle: str
    display_name: str
    created_at: datetime
    # A remote account's server (its handle is `user@domain`); None: an account of this instance.
    domain: str | None = None


class UserUpdated(EventData):
    """The public profile changed; projections of users refresh from it."""

    event_type = "user.updated"
    minor_version = 2  # 1.1: avatar; 1.2: domain
    user_id: str
    handle: str
    display_name: str
    updated_at: datetime
    # The profile picture now (every user.updated carries the current one; None: none).
    avatar: Avatar | None = None
    # As in user.registered: a remote account's server, None for a local account.
    domain: str | None = None


type RemixPolicyName = Literal["everyone", "following", "nobody"]
type RemixApprovalName = Literal["automatic", "manual"]


class UserRemixSettingsChanged(EventData):
    """A local account changed who may remix its posts (`remix_policy`: everyone, following,
    nobody) or whether a remix shows its original at once (`remix_approval`: automatic,
    manual); both are carried as they are now. An account that never changed them has the
    defaults (everyone, automatic)."""

    event_type = "user.remix_settings_changed"
    user_id: str
    remix_policy: RemixPolicyName
    remix_approval: RemixApprovalName
    changed_at: datetime


class UserFollowed(EventData):
    event_type = "user.followed"
    minor_version = 1
    follower_id: str
    followee_id: str
    followed_at: datetime
    # 1.1: the post the follow was made from (the insights' new followers), if any.
    via_post: str | None = None


class UserUnfollowed(EventData):
    event_type = "user.unfollowed"
    follower_id: str
    followee_id: str
    unfollowed_at: datetime


class UserBlocked(EventData):
    event_type = "user.blocked"
    blocker_id: str
    blocked_id: str
    blocked_at: datetime


class UserUnblocked(EventData):
    event_type = "user.unblocked"
    blocker_id: str
    blocked_id: str
    unblocked_at: datetime


# What happens to the posts an account wrote with co-authors when it is deleted: they go with
# it (the default), or pass to their earliest accepted co-author.
KeepCoauthoredPosts = Literal["delete", "hand_over"]


class UserDeleted(EventData):
    event_type = "user.deleted"
    minor_version = 1  # 1.1: keep_coauthored_posts
    user_id: str
    deleted_at: datetime
    keep_coauthored_posts: KeepCoauthoredPosts = "delete"


# -- muting -------------------------------------------------------------------


class UserMuted(EventData):
    event_type = "user.muted"
    muter_id: str
    muted_id: str
    muted_at: datetime


class UserUnmuted(EventData):
    event_type = "user.unmuted"
    muter_id: str
    muted_id: str
    unmuted_at: datetime
