"""Who engaged with each post (liked, replied to or remixed it): the accounts told of its edits.

A like that is taken back stays: whoever once liked a post is told it changed, once per edit.
"""

from pymongo import UpdateOne

from shared.mongo import Database, IndexSpec

POST_ENGAGERS = "post_engagers"
ENGAGER_INDEXES = [IndexSpec(POST_ENGAGERS, [("post_id", 1)])]


class EngagerRepository:
    def __init__(self, db: Database) -> None:
        self._engagers = db[POST_ENGAGERS]

    async def record(self, post_id: str, user_id: str) -> None:
        await self._engagers.bulk_write(
            [
                UpdateOne(
                    {"_id": f"{post_id}:{user_id}"},
                    {"$setOnInsert": {"post_id": post_id, "user_id": user_id}},
                    upsert=True,
                )
            ]
        )

    async def of_post(self, post_id: str) -> list[str]:
        cursor = self._engagers.find({"post_id": post_id}, {"user_id": 1})
        return [document["user_id"] async for document in cursor]

    async def forget_post(self, post_id: str) -> None:
        await self._engagers.delete_many({"post_id": post_id})
