"""Reading relations: the accounts one mutes, and (internally) who blocks whom now."""

from dataclasses import dataclass

from shared.pagination import Page, time_and_id_cursor, time_and_id_position
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
        return Page(items=items, next_cursor=next_cursor)

    async def blockers(self, user_id: str, among: list[str]) -> list[str]:
        """Which of `among` block `user_id` now: one query."""
        active = await self.relations.active_blocks(relation_id(other, user_id) for other in among)
        return [other for other in among if relation_id(other, user_id) in active]
