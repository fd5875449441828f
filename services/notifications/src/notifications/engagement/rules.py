"""Who hears of engagement: every credited author of a reply (once) and of likes, grouped per
post while unread (the group's rules are here; `commands` keeps the groups)."""

from collections.abc import Sequence
from datetime import datetime

from notifications.core.reactions import Reacting, ReactionRule
from notifications.core.rules import (
    NewNotification,
    NotificationType,
    Reaction,
    SubjectKind,
    Withdrawal,
    collapsed_id,
)
from shared.events.posts import PostReplied, PostReplyRemoved


def _post_replied(data: PostReplied) -> Reaction:
    """Every credited author hears of a reply once, however often the event comes."""
    return Reaction(
        notifications=tuple(
            NewNotification(
                recipient_id=author_id,
                type=NotificationType.POST_REPLIED,
                actor_id=data.replier_id,
                post_id=data.post_id,
                reply_id=data.reply_id,
                preview_text=data.reply_text,
                collapse_key=f"{NotificationType.POST_REPLIED}:{data.reply_id}:{author_id}",
            )
            for author_id in dict.fromkeys(data.author_ids)
        )
    )


def _reply_removed(data: PostReplyRemoved) -> Reaction:
    return Reaction(withdrawals=(Withdrawal(SubjectKind.REPLY, data.reply_id),))


REACTIONS: tuple[Reacting, ...] = (
    ReactionRule(PostReplied, _post_replied),
    ReactionRule(PostReplyRemoved, _reply_removed),
)


def like_recipients(author_ids: Sequence[str], liker_id: str) -> list[str]:
    """Every credited author but the liker, once each."""
    return [a for a in dict.fromkeys(author_ids) if a != liker_id]


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
