"""Reading relations: the accounts one mutes."""

from dataclasses import dataclass

from shared.pagination import Page, time_and_id_cursor, time_and_id_position
from users.core.queries import public_user
from users.core.repository import AccountRepository
from users.core.schemas import User
from users.relations.repository import RelationRepository


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
