"""Sign-in budgets: per account and kind of client, the wrong passwords counted lately."""

from datetime import datetime

from pymongo import ReturnDocument

from shared.mongo import Database, IndexSpec
from users.accounts.rules import SignInBudget

SIGN_IN_BUDGETS = "sign_in_budgets"

SIGN_IN_BUDGET_INDEXES = [
    # A bucket that has leaked empty is gone: MongoDB's TTL monitor removes it.
    IndexSpec(SIGN_IN_BUDGETS, [("empty_at", 1)], {"expireAfterSeconds": 0}),
]


class SignInBudgetRepository:
    def __init__(self, db: Database, budget: SignInBudget) -> None:
        self._budgets = db[SIGN_IN_BUDGETS]
        self._budget = budget

    async def admit(self, user_id: str, device: str, now: datetime) -> bool:
        """Count one attempt in the bucket of (`user_id`, `device`) if it has room, in one
        atomic write: concurrent guesses cannot all see the same room. False: no room."""
        decay_ms = self._budget.decay_seconds * 1000
        elapsed_ms = {"$subtract": [now, {"$ifNull": ["$at", now]}]}
        leaked = {
            "$max": [
                0,
                {"$subtract": [{"$ifNull": ["$level", 0]}, {"$divide": [elapsed_ms, decay_ms]}]},
            ]
        }
        has_room = {"$lte": ["$$leaked", self._budget.capacity - 1]}
        level = {
            "$let": {
                "vars": {"leaked": leaked},
                "in": {"$cond": [has_room, {"$add": ["$$leaked", 1]}, "$$leaked"]},
            }
        }
        admitted = {"$let": {"vars": {"leaked": leaked}, "in": has_room}}
        document = await self._budgets.find_one_and_update(
            {"_id": _key(user_id, device)},
            [
                {"$set": {"admitted": admitted}},
                {"$set": {"level": level, "at": now}},
                {"$set": {"empty_at": {"$add": [now, {"$multiply": ["$level", decay_ms]}]}}},
            ],
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        # Upserted, so always there.
        return document is not None and bool(document["admitted"])

    async def refund(self, user_id: str, device: str) -> None:
        """A right password: the attempt admitted for it was no failure, and the failures
        before it were the owner's own typos."""
        await self._budgets.delete_one({"_id": _key(user_id, device)})


def _key(user_id: str, device: str) -> str:
    return f"{user_id}/{device}"
