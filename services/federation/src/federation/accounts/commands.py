"""Looking a remote account up by `user@host` for the users service: its server's WebFinger
names its actor, fetched (SSRF-guarded) and kept like any actor, so the account is announced
(`federation.remote_account_seen`) and answered at once."""

import logging
from dataclasses import dataclass

from federation.accounts.rules import JRD_ACCEPT, actor_link, webfinger_url
from federation.core.remote import RemoteActors, RemoteRefused, account_seen
from federation.core.urls import LocalUrls
from federation.delivery.rules import is_blocked
from shared.clock import utc_now
from shared.events.federation import RemoteAccountSeen
from shared.remote_accounts import split_remote_handle

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccountLookup:
    federating: bool
    urls: LocalUrls
    actors: RemoteActors
    blocked_domains: list[str]

    async def look_up(self, handle: str) -> RemoteAccountSeen | None:
        """None for a handle of no reachable account, of this instance, or of a blocked
        domain, or while federation is off."""
        found = split_remote_handle(handle)
        if not self.federating or found is None:
            return None
        username, host = found
        url = webfinger_url(self.urls.scheme, host, username)
        if host == self.urls.domain.lower() or is_blocked(url, self.blocked_domains):
            return None
        try:
            actor_url = actor_link(await self.actors.fetch(url, accept=JRD_ACCEPT))
            if actor_url is None or is_blocked(actor_url, self.blocked_domains):
                return None
            actor = await self.actors.by_actor_url(actor_url)
        except RemoteRefused as exc:
            log.info("remote account not found", extra={"handle": handle, "reason": str(exc)})
            return None
        return account_seen(actor, utc_now())
