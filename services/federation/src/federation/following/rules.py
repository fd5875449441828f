"""What a remote Follow and its Undo mean for a local user, as pure decisions."""

from typing import Any

from federation.core.urls import LocalUrls
from shared.events.users import UserUnfollowed
from shared.remote_accounts import is_remote_user_id


def remote_follower_left(unfollowed: UserUnfollowed) -> bool:
    """Whether an ended follow is a remote account's, whose server is told (`when=`)."""
    return is_remote_user_id(unfollowed.follower_id)


def followed_handle(follow: dict[str, Any], urls: LocalUrls) -> str | None:
    """The local handle a Follow is about, or None when it follows no one here."""
    target = follow.get("object")
    return urls.handle_of(target) if isinstance(target, str) else None


def follow_answered(follow: dict[str, Any]) -> dict[str, Any]:
    """The Follow as the Accept a local user answers it with embeds it (followers are accepted
    at once)."""
    return {key: follow[key] for key in ("id", "type", "actor", "object") if key in follow}


def follow_ended(follower: dict[str, Any], handle: str, urls: LocalUrls) -> dict[str, Any]:
    """The Follow as the Reject that ends a remote follower's accepted Follow embeds it (as
    Mastodon sends when a follower is removed or blocked): its server drops the follow."""
    actor = urls.actor(handle)
    follow = {"type": "Follow", "actor": follower["actor_id"], "object": actor}
    if follower.get("follow_id"):
        follow["id"] = follower["follow_id"]
    return follow


def undone_follow(undo: dict[str, Any]) -> tuple[str | None, str | None]:
    """The Follow an Undo takes back: its id, and the actor URL it followed (either may lack)."""
    target = undo.get("object")
    if isinstance(target, str):
        return target, None
    if isinstance(target, dict) and target.get("type") == "Follow":
        follow_id = target.get("id")
        followed = target.get("object")
        return (
            follow_id if isinstance(follow_id, str) else None,
            followed if isinstance(followed, str) else None,
        )
    return None, None
