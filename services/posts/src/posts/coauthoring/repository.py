"""What co-authoring keeps: the invites each user sent per hour (`invite_counters`), remote
invitations withdrawn before they were added (`withdrawn_remote_invitations`), and the posts
an account is on (authored, invited to or credited), read from the posts collection."""

from datetime import datetime, timedelta

from posts.coauthoring.rules import INVITE_WINDOW
from posts.core.repository import POSTS
from shared.mongo import Database, IndexSpec, increment

INVITE_COUNTERS = "invite_counters"
WITHDRAWN_REMOTE_INVITATIONS = "withdrawn_remote_invitations"
# Longer than the federation service may hold an invitation's event back (its retries).
WITHDRAWN_KEPT = timedelta(days=7)

COAUTHORING_INDEXES = [
    IndexSpec(POSTS, [("coauthors.user_id", 1)]),
    IndexSpec(INVITE_COUNTERS, [("expires_at", 1)], {"expireAfterSeconds": 0}),
    IndexSpec(WITHDRAWN_REMOTE_INVITATIONS, [("expires_at", 1)], {"expireAfterSeconds": 0}),
]


class CoauthorRepository:
    """The posts an account is on, to act on when it is deleted or blocks another."""

    def __init__(self, db: Database) -> None:
        self._posts = db[POSTS]

    async def ids_involving(self, user_id: str) -> list[str]:
        """Live posts the user authored or is invited to or credited on."""
        query = {
            "status": {"$ne": "deleted"},
            "$or": [{"author_id": user_id}, {"coauthors.user_id": user_id}],
        }
        return [doc["_id"] async for doc in self._posts.find(query, {"_id": 1})]

    async def ids_between(self, first_id: str, second_id: str) -> list[str]:
        """Live posts where one of the two is the author and the other a co-author."""
        query = {
            "status": {"$ne": "deleted"},
            "$or": [
                {"author_id": first_id, "coauthors.user_id": second_id},
                {"author_id": second_id, "coauthors.user_id": first_id},
            ],
        }
        return [doc["_id"] async for doc in self._posts.find(query, {"_id": 1})]


class InviteCounterRepository:
    """Invites sent per user per hour: one document per user and hour, counted with $inc."""

    def __init__(self, db: Database) -> None:
        self._counters = db[INVITE_COUNTERS]

    async def add(self, user_id: str, window_start: datetime, count: int) -> int:
        """Count `count` more invites in the window; returns the window's total after that."""
        document = await increment(
            self._counters,
            _counter_id(user_id, window_start),
            {"count": count},
            {"user_id": user_id, "expires_at": window_start + INVITE_WINDOW},
        )
        return int(document["count"])

    async def give_back(self, user_id: str, window_start: datetime, count: int) -> None:
        """Refused invites do not use up the budget."""
        await self._counters.update_one(
            {"_id": _counter_id(user_id, window_start)}, {"$inc": {"count": -count}}
        )


def _counter_id(user_id: str, window_start: datetime) -> str:
    return f"{user_id}:{window_start:%Y%m%d%H}"


class WithdrawnInvitationRepository:
    """Remote authors' invitations withdrawn here, by invitation id, for a week: one whose
    `federation.remote_coauthor_invited` is handled after its withdrawal is not added."""

    def __init__(self, db: Database) -> None:
        self._withdrawn = db[WITHDRAWN_REMOTE_INVITATIONS]

    async def remember(self, invitation_id: str, at: datetime) -> None:
        await self._withdrawn.update_one(
            {"_id": invitation_id},
            {"$setOnInsert": {"withdrawn_at": at, "expires_at": at + WITHDRAWN_KEPT}},
            upsert=True,
        )

    async def was_withdrawn(self, invitation_id: str) -> bool:
        return await self._withdrawn.find_one({"_id": invitation_id}) is not None
