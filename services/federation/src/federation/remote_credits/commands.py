"""Checking a remote Note's co-authors: each claimed co-author's stamp is fetched (through the
SSRF-guarded client) from their own server and must name them and this Note; then their actor
is fetched and kept like any remote account's (announced when new). A stamp missing, gone
(410), elsewhere or naming someone else credits no one; nothing here fails the inbox."""

import logging
from dataclasses import dataclass
from typing import Any

from federation.core.remote import RemoteActors, RemoteRefused
from federation.core.urls import LocalUrls
from federation.remote_credits.rules import claimed_coauthors, stamp_backs, stamp_links
from shared.remote_accounts import remote_user_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RemoteCredits:
    urls: LocalUrls
    actors: RemoteActors

    async def consenting_coauthors(self, note: dict[str, Any]) -> tuple[str, ...]:
        """The user ids of the remote co-authors whose consent to the Note checks out."""
        credited: list[str] = []
        for coauthor in claimed_coauthors(note, self.urls):
            if await self._consents(coauthor, note, stamp_links(note, coauthor)):
                try:
                    actor = await self.actors.by_actor_url(coauthor)
                except RemoteRefused as exc:
                    log.info("co-author not credited", extra={"actor": coauthor, "why": str(exc)})
                    continue
                credited.append(remote_user_id(actor.id))
        return tuple(credited)

    async def _consents(self, coauthor: str, note: dict[str, Any], links: list[str]) -> bool:
        for link in links:
            try:
                stamp = await self.actors.fetch(link)
            except RemoteRefused as exc:
                log.info("consent stamp not taken", extra={"stamp": link, "why": str(exc)})
                continue
            if stamp_backs(stamp, link, coauthor, note["id"]):
                return True
        return False
