"""Events published by the users service."""

from datetime import datetime

from shared.events.envelope import EventData


class UserRegistered(EventData):
    event_type = "user.registered"
    user_id: str
    handle: str
    display_name: str
    created_at: datetime


class UserUpdated(EventData):
    """The public profile changed; projections of users refresh from it."""

    event_type = "user.updated"
    user_id: str
    handle: str
    display_name: str
    updated_at: datetime


class UserFollowed(EventData):
    event_type = "user.followed"
    follower_id: str
    followee_id: str
    followed_at: datetime


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


class UserDeleted(EventData):
    event_type = "user.deleted"
    user_id: str
    deleted_at: datetime
