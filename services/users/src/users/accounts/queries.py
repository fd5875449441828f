"""Reading accounts: one's own profile and settings, anyone's public profile, and (for the
gateway) which accounts were deleted lately."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.clock import utc_now
from users.accounts.schemas import DeletedUsersResponse, MyProfile, Profile
from users.availability.queries import AvailabilityQueries
from users.core.queries import account_by_handle, own_account, public_user
from users.core.repository import Account, AccountRepository
from users.core.rules import UnknownUser
from users.core.schemas import User
from users.relations.queries import RelationQueries
from users.relations.repository import RelationRepository, relation_id

# A search reads at most this many batches of matches to fill a page past the accounts that
# block the caller; a shorter page is then answered (bounded work per request).
SEARCH_MAX_BATCHES = 3

# A deletion whose write lands while the list is read would be missed by a poll starting at
# "now"; starting the next poll a little earlier repeats some ids, which revoking tolerates.
DELETED_USERS_POLL_OVERLAP = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class AccountQueries:
    accounts: AccountRepository
    relations: RelationRepository
    relation_queries: RelationQueries
    availability: AvailabilityQueries

    async def my_profile(self, user_id: str, country: str | None) -> MyProfile:
        """`country`: where this request comes from (trusted), which decides `features`."""
        account = await own_account(self.accounts, user_id)
        profile = await self._profile(account)
        return MyProfile(
            **profile.model_dump(),
            collab_policy=account.collab_policy,
            remix_policy=account.remix_policy,
            remix_approval=account.remix_approval,
            keep_coauthored_posts=account.keep_coauthored_posts,
            country=account.country,
            features=self.availability.of_account(account, country),
        )

    async def profile(self, handle: str, viewer_id: str) -> Profile:
        """An account that blocks the viewer is, to the viewer, not there; to anyone else it
        comes with the viewer's relationship to it."""
        account = await account_by_handle(self.accounts, handle)
        if await self.relations.active_blocks([relation_id(account.id, viewer_id)]):
            raise UnknownUser()
        (profile,) = await self.relation_queries.seen_by(viewer_id, [await self._profile(account)])
        return profile

    async def search(self, viewer_id: str, prefix: str, limit: int) -> list[User]:
        """Accounts whose handle starts with `prefix`, in handle order, but for those that
        block the viewer; each with the viewer's relationship to it."""
        found: list[User] = []
        after: str | None = None
        for _ in range(SEARCH_MAX_BATCHES):
            batch = await self.accounts.accounts_by_handle_prefix(prefix, after=after, limit=limit)
            blockers = await self.relations.active_blocks(
                relation_id(account.id, viewer_id) for account in batch
            )
            found += [
                public_user(account)
                for account in batch
                if relation_id(account.id, viewer_id) not in blockers
            ]
            if len(batch) < limit or len(found) >= limit:
                break
            after = batch[-1].handle
        return await self.relation_queries.seen_by(viewer_id, found[:limit])

    async def deleted_since(self, since: datetime) -> DeletedUsersResponse:
        as_of = utc_now() - DELETED_USERS_POLL_OVERLAP
        user_ids = await self.accounts.deleted_since(since)
        return DeletedUsersResponse(user_ids=user_ids, as_of=as_of)

    async def _profile(self, account: Account) -> Profile:
        return Profile(
            **public_user(account).model_dump(),
            followers_count=await self.relations.followers_count(account.id),
            following_count=await self.relations.following_count(account.id),
            domain=account.domain,
            actor_url=account.actor_url,
        )
