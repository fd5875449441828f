"""The instance's own actor (`/actor`, an Application, as Mastodon and GoToSocial have one):
its key signs every fetch this service makes of another server's actors, keys, Notes and
stamps, so servers that answer only signed GETs (Mastodon's secure mode, GoToSocial always)
answer. Signing as the instance rather than as a user says nothing about who asked."""

from dataclasses import dataclass
from datetime import datetime

from federation.core.keys import ActorKey, ActorKeys
from federation.core.signatures import sign_cavage
from federation.core.urls import LocalUrls

# Its key pair is kept beside the users' under this id; local user ids are UUIDs.
INSTANCE_ACTOR_KEY = "instance-actor"


@dataclass(frozen=True, slots=True)
class InstanceActor:
    urls: LocalUrls
    keys: ActorKeys

    async def key(self) -> ActorKey:
        return await self.keys.of_user(INSTANCE_ACTOR_KEY)

    async def signed_get(self, url: str, *, now: datetime) -> dict[str, str]:
        """The headers that sign a GET of `url` as this instance (draft-cavage, which every
        server in secure mode verifies)."""
        key = await self.key()
        return sign_cavage(
            "GET", url, b"", key_id=self.urls.instance_key_id, key=key.private_key, now=now
        )
