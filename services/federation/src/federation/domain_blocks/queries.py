"""Whether a URL is on a blocked domain, as this replica knows the blocks now: the deployment's
(`FEDERATION_BLOCKED_DOMAINS`) and the operator's (the `domain_blocks` collection, re-read
every `DOMAIN_BLOCKS_REFRESH_SECONDS`), so an operator's block takes effect on every replica
within that interval, without a restart."""

import logging
from collections.abc import Iterable

from federation.delivery.rules import is_blocked
from federation.domain_blocks.repository import DomainBlockList

log = logging.getLogger(__name__)


class DomainBlocks:
    def __init__(self, fixed: Iterable[str], stored: DomainBlockList | None = None) -> None:
        self._fixed = tuple(fixed)
        self._stored = stored
        self._domains = self._fixed

    @property
    def domains(self) -> list[str]:
        return list(self._domains)

    def covers(self, url: str) -> bool:
        """Whether `url` is on a blocked domain or one of its subdomains."""
        return is_blocked(url, self._domains)

    async def refresh(self) -> None:
        """Reads the operator's blocks again (a failed read keeps the last ones known)."""
        if self._stored is None:
            return
        stored = await self._stored.domains()
        domains = tuple(dict.fromkeys((*self._fixed, *sorted(stored))))
        if set(domains) != set(self._domains):
            log.info("domain blocks changed", extra={"blocked_domains": list(domains)})
        self._domains = domains
