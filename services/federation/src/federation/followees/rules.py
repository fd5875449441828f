"""What local users send to follow remote actors and what their answers name, free of I/O."""

from typing import Any

from federation.core.urls import LocalUrls
from shared.events.users import UserFollowed, UserUnfollowed
from shared.remote_accounts import is_remote_user_id


def local_follows_remote(event: UserFollowed | UserUnfollowed) -> bool:
    """Whether a follow (or unfollow) is a local user's of a remote account: the only ones
    this slice sends anything for (`when=` of its subscriptions)."""
    return is_remote_user_id(event.followee_id) and not is_remote_user_id(event.follower_id)


def follow_sent(followee: dict[str, Any], handle: str, urls: LocalUrls) -> dict[str, Any]:
    """A local user's Follow as their Undo of it embeds it (unfollowing, or blocking the
    remote account)."""
    return {
        "id": followee["follow_id"],
        "type": "Follow",
        "actor": urls.actor(handle),
        "object": followee["actor_id"],
    }


def answered_follow_id(answer: dict[str, Any]) -> str | None:
    """The id of the Follow an Accept or Reject answers (its object, by id or embedded); of an
    Undo of an Accept, the Follow that Accept answered."""
    target = answer.get("object")
    if answer.get("type") == "Undo":
        target = (
            target.get("object") if isinstance(target, dict) and _is_a(target, "Accept") else None
        )
    if isinstance(target, str):
        return target
    if isinstance(target, dict) and isinstance(target.get("id"), str):
        follow_id: str = target["id"]
        return follow_id
    return None


def undoes_an_accept(undo: dict[str, Any]) -> bool:
    return _is_a(undo.get("object"), "Accept")


def _is_a(value: Any, kind: str) -> bool:
    return isinstance(value, dict) and value.get("type") == kind
