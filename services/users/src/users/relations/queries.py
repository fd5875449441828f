"""Reading relations: the accounts one mutes, the caller's relationship to the users it is
shown, and (internally) who blocks whom now."""

from collections.abc import Sequence
from dataclasses import dataclass

from shared.pagination import Page, time_and_id_cursor, time_and_id_position
from shared.public_user import Relationship
from users.core.queries import public_user
from users.core.repository import AccountRepository
from users.core.schemas import User
from users.relations.repository import RelationRepository, relation_id


@dataclass(frozen=True, slots=True)
class RelationQueries:
    accounts: AccountRepository
    relations: RelationRepository

    async def mutes(self, muter_id: str, limit: int, cursor: str | None) -> Page[User]:
        found = await self.relations.muted_page(muter_id, time_and_id_position(cursor), limit + 1)
        page = found[:limit]
        accounts = await self.accounts.accounts_by_id(muted_id for muted_id, _, _ in page)
        next_cursor = None
        if len(found) > limit and page:
            _, at, document_id = page[-1]
            next_cursor = time_and_id_cursor(at, document_id)
        items = [public_user(accounts[i]) for i, _, _ in page if i in accounts]
        return Page(items=await self.seen_by(muter_id, items), next_cursor=next_cursor)

    async def seen_by[U: User](self, viewer_id: str, users: Sequence[U]) -> list[U]:
        """The users with the viewer's relationship to each (none on the viewer's own): three
        queries (follows both ways, blocks, mutes), however many users."""
        others = [user.id for user in users if user.id != viewer_id]
        if not others:
            return list(users)
        outgoing = [relation_id(viewer_id, other) for other in others]
        incoming = [relation_id(other, viewer_id) for other in others]
        follows = await self.relations.active_follows([*outgoing, *incoming])
        blocks = await self.relations.active_blocks(outgoing)
        mutes = await self.relations.active_mutes(outgoing)

        def relationship(other: str) -> Relationship:
            mine = relation_id(viewer_id, other)
            return Relationship(
                following=mine in follows,
                followed_by=relation_id(other, viewer_id) in follows,
                blocking=mine in blocks,
                muting=mine in mutes,
            )

        return [
            user
            if user.id == viewer_id
            else user.model_copy(update={"relationship": relationship(user.id)})
            for user in users
        ]

    async def blockers(self, user_id: str, among: list[str]) -> list[str]:
        """Which of `among` block `user_id` now: one query."""
        active = await self.relations.active_blocks(relation_id(other, user_id) for other in among)
        return [other for other in among if relation_id(other, user_id) in active]
