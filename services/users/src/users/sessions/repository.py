"""Refresh tokens in MongoDB: one document per token, keyed by its hash, never the token."""

from datetime import datetime

from shared.mongo import Database, Document, IndexSpec
from users.sessions.rules import RefreshToken, token_hash

REFRESH_TOKENS = "refresh_tokens"

SESSION_INDEXES = [
    IndexSpec(REFRESH_TOKENS, [("family_id", 1)]),
    IndexSpec(REFRESH_TOKENS, [("user_id", 1)]),
    # An expired token is gone: MongoDB's TTL monitor removes it.
    IndexSpec(REFRESH_TOKENS, [("expires_at", 1)], {"expireAfterSeconds": 0}),
]


class RefreshTokenRepository:
    def __init__(self, db: Database) -> None:
        self._tokens = db[REFRESH_TOKENS]

    async def insert(self, refresh: RefreshToken) -> None:
        await self._tokens.insert_one(
            {
                "_id": token_hash(refresh.token),
                "family_id": refresh.family_id,
                "user_id": refresh.user_id,
                "issued_at": refresh.issued_at,
                "expires_at": refresh.expires_at,
                "spent_at": None,
                "revoked": False,
            }
        )

    async def spend(self, token: str, now: datetime) -> Document | None:
        """Mark the token spent if it is live, in one conditional write (two presentations of
        one token cannot both spend it); the token's document as it was, or None.

        Read by `_id`, then written where it is still live: not a find-and-modify, which
        SecantusDB answers by scanning the collection, one document per token issued. The
        fields read are never changed but by this write (`spent_at`) and a revocation
        (`revoked`), both in the write's filter.
        """
        live = {"spent_at": None, "revoked": False, "expires_at": {"$gt": now}}
        found = await self.find(token)
        if found is None:
            return None
        spent = await self._tokens.update_one(
            {"_id": found["_id"], **live}, {"$set": {"spent_at": now}}
        )
        return found if spent.matched_count == 1 else None

    async def find(self, token: str) -> Document | None:
        return await self._tokens.find_one({"_id": token_hash(token)})

    async def revoke_family(self, family_id: str) -> None:
        await self._tokens.update_many({"family_id": family_id}, {"$set": {"revoked": True}})

    async def revoke_all_of(self, user_id: str) -> None:
        await self._tokens.update_many({"user_id": user_id}, {"$set": {"revoked": True}})
