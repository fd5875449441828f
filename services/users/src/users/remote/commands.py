"""Remote accounts: a remote actor the federation service saw (or found when asked by handle)
becomes an account with a domain (never able to sign in), announced as user.registered /
user.updated like any other, so every projection learns it the way it learns local accounts."""

import logging
from dataclasses import dataclass, replace

from shared.clock import utc_now
from shared.events.federation import RemoteAccountSeen
from shared.events.users import UserRegistered, UserUpdated
from shared.outbox import Outbox
from shared.subscriptions import Delivery
from users.core.repository import Account, AccountRepository
from users.core.rules import CollabPolicy, HandleTaken
from users.remote.lookup import FederationLookup
from users.remote.rules import remote_avatar, remote_display_name

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RemoteAccountCommands:
    accounts: AccountRepository
    outbox: Outbox
    federation: FederationLookup

    async def account_seen(self, delivery: Delivery[RemoteAccountSeen]) -> None:
        await self._apply(delivery.event)

    async def look_up(self, handle: str) -> Account | None:
        """A remote account not seen yet, by `user@host`: the federation service finds it (and
        announces it); it is kept here at once, so the caller gets it in this request."""
        seen = await self.federation.look_up(handle)
        if seen is None:
            return None
        await self._apply(seen)
        return await self.accounts.account(seen.user_id)

    async def _apply(self, seen: RemoteAccountSeen) -> None:
        """Creates the account, or refreshes its profile when this sighting is newer than the
        one it has; a repeated or older sighting changes nothing."""
        try:
            if await self.accounts.ever_existed(seen.user_id):
                await self._refresh(seen)
            else:
                await self._create(seen)
        except HandleTaken:
            if not await self.accounts.ever_existed(seen.user_id):
                # Another actor of that server held the name before (a moved account): the
                # first keeps it until it is seen with another.
                log.warning("remote handle held by another account", extra={"handle": seen.handle})
                return
            await self._refresh(seen)  # another delivery created it meanwhile

    async def _create(self, seen: RemoteAccountSeen) -> None:
        account = Account(
            id=seen.user_id,
            handle=seen.handle,
            display_name=remote_display_name(seen),
            created_at=seen.seen_at,
            # Never applied: inviting it asks its own server for its consent (eligibility).
            collab_policy=CollabPolicy.NOBODY,
            password_hash=None,
            avatar=remote_avatar(seen),
            domain=seen.domain,
            actor_url=seen.actor_url,
        )
        registered = UserRegistered(
            user_id=account.id,
            handle=account.handle,
            display_name=account.display_name,
            created_at=account.created_at,
            domain=account.domain,
        )
        # user.registered carries no picture; a user.updated after it does.
        announced = [registered, _updated(account)] if account.avatar else [registered]
        with self.outbox.publishing(*announced) as events:
            await self.accounts.insert_account(account, events, remote_seen_at=seen.seen_at)

    async def _refresh(self, seen: RemoteAccountSeen) -> None:
        account = await self.accounts.account(seen.user_id)
        if account is None:
            return  # deleted here: a sighting does not bring it back
        refreshed = replace(
            account,
            handle=seen.handle,
            display_name=remote_display_name(seen),
            avatar=remote_avatar(seen),
            actor_url=seen.actor_url,
        )
        if refreshed == account:
            return
        changes = {
            "handle": refreshed.handle,
            "display_name": refreshed.display_name,
            "avatar": refreshed.avatar.model_dump() if refreshed.avatar else None,
            "actor_url": refreshed.actor_url,
        }
        with self.outbox.publishing(_updated(refreshed)) as events:
            await self.accounts.update_remote_profile(account.id, changes, seen.seen_at, events)


def _updated(account: Account) -> UserUpdated:
    return UserUpdated(
        user_id=account.id,
        handle=account.handle,
        display_name=account.display_name,
        updated_at=utc_now(),
        avatar=account.avatar,
        domain=account.domain,
    )
