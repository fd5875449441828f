"""Who hears of engagement: every credited author of a post's likes and replies, grouped per
post while unread (the groups' rules are here; `commands` keeps the groups), and of its shares
(one notification per sharer, not grouped)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from notifications.core.reactions import Reacting, ReactionRule
from notifications.core.rules import NewNotification, NotificationType, Reaction, collapsed_id
from shared.events.posts import PostShared

# A reply group keeps the newest replies since it was read, at most this many (a bounded
# document however busy the post): `count` then stops growing.
MAX_REPLIES_PER_GROUP = 100


def like_recipients(author_ids: Sequence[str], liker_id: str) -> list[str]:
    """Every credited author but the liker, once each."""
    return [a for a in dict.fromkeys(author_ids) if a != liker_id]


def reply_group_id(recipient_id: str, post_id: str) -> str:
    """One `post.replied` per recipient and post, reopened by a reply after it was read."""
    return collapsed_id(f"{NotificationType.POST_REPLIED}:{recipient_id}:{post_id}")


@dataclass(frozen=True, slots=True)
class GroupedReply:
    id: str
    replier_id: str
    at: datetime
    text: str


def replies_after_reply(
    replies: Sequence[GroupedReply], reply: GroupedReply, *, reopened: bool
) -> list[GroupedReply] | None:
    """The group's replies, oldest first, once `reply` is made: a read (or emptied) group
    starts afresh; None when the reply is already in it. Sorted by time, so the latest
    replier is the actor whatever order the events came in."""
    if any(known.id == reply.id for known in replies):
        return None
    if reopened:
        return [reply]
    ordered = sorted([*replies, reply], key=lambda known: (known.at, known.id))
    return ordered[-MAX_REPLIES_PER_GROUP:]


def replies_after_removal(
    replies: Sequence[GroupedReply], reply_id: str
) -> list[GroupedReply] | None:
    if all(known.id != reply_id for known in replies):
        return None
    return [known for known in replies if known.id != reply_id]


def like_group_id(recipient_id: str, post_id: str) -> str:
    """One `post.liked` per recipient and post, reopened by a like after it was read."""
    return collapsed_id(f"{NotificationType.POST_LIKED}:{recipient_id}:{post_id}")


type Liker = tuple[str, datetime]


def likers_after_like(
    likers: Sequence[Liker], liker: Liker, *, reopened: bool
) -> list[Liker] | None:
    """The group's likers, oldest like first, once `liker` likes: a read (or emptied) group
    starts afresh. None when nothing changes. Sorted by the time of each like, so the
    latest liker is the actor whatever order the events came in."""
    if reopened:
        return [liker]
    if any(liker_id == liker[0] for liker_id, _ in likers):
        return None
    return sorted([*likers, liker], key=lambda entry: (entry[1], entry[0]))


def likers_after_unlike(likers: Sequence[Liker], liker_id: str) -> list[Liker] | None:
    if all(entry[0] != liker_id for entry in likers):
        return None
    return [entry for entry in likers if entry[0] != liker_id]


def _post_shared(data: PostShared) -> Reaction:
    # However often an account shares, unshares and shares again: one notification.
    return Reaction(
        notifications=tuple(
            NewNotification(
                recipient_id=recipient_id,
                type=NotificationType.POST_SHARED,
                actor_id=data.sharer_id,
                post_id=data.post_id,
                collapse_key=f"{NotificationType.POST_SHARED}:{recipient_id}:{data.post_id}:{data.sharer_id}",
            )
            for recipient_id in like_recipients(data.author_ids, data.sharer_id)
        )
    )


REACTIONS: tuple[Reacting, ...] = (ReactionRule(PostShared, _post_shared),)
