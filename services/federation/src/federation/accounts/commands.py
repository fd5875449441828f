"""Looking a remote account up by `user@host` for the users service: its server's WebFinger
names its actor, fetched (SSRF-guarded) and kept like any actor, so the account is announced
(`federation.remote_account_seen`) and answered at once. Lookups are limited per remote host,
across replicas, so local users typing handles cannot make this instance flood a server."""

import logging
from dataclasses import dataclass

from federation.accounts.rules import JRD_ACCEPT, actor_link, webfinger_url
from federation.core.remote import RemoteActors, RemoteRefused, account_seen
from federation.core.urls import LocalUrls
from federation.domain_blocks.queries import DomainBlocks
from shared.clock import utc_now
from shared.rate_limits import SharedRateLimiter
from shared.remote_accounts import RemoteAccountFound, split_remote_handle

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccountLookup:
    federating: bool
    urls: LocalUrls
    actors: RemoteActors
    domain_blocks: DomainBlocks
    limits: SharedRateLimiter

    async def look_up(self, handle: str) -> RemoteAccountFound:
        """No account for a handle of no reachable account, of this instance, or of a blocked
        domain, or while federation is off; a wait when its server was asked too often."""
        found = split_remote_handle(handle)
        if not self.federating or found is None:
            return RemoteAccountFound(account=None)
        username, host = found
        url = webfinger_url(self.urls.scheme, host, username)
        if host == self.urls.domain.lower() or self.domain_blocks.covers(url):
            return RemoteAccountFound(account=None)
        if wait := await self.limits.retry_after(host):
            return RemoteAccountFound(account=None, retry_after_seconds=wait)
        try:
            actor_url = actor_link(await self.actors.fetch(url, accept=JRD_ACCEPT))
            if actor_url is None or self.domain_blocks.covers(actor_url):
                return RemoteAccountFound(account=None)
            actor = await self.actors.by_actor_url(actor_url)
        except RemoteRefused as exc:
            log.info("remote account not found", extra={"handle": handle, "reason": str(exc)})
            return RemoteAccountFound(account=None)
        return RemoteAccountFound(account=account_seen(actor, utc_now()))
