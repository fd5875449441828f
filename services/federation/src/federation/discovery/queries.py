"""Finding local users from the fediverse: WebFinger and actor documents."""

from dataclasses import dataclass
from typing import Any

from federation.core.instance_actor import InstanceActor
from federation.core.keys import ActorKeys
from federation.core.urls import LocalUrls
from federation.discovery.rules import (
    MalformedResource,
    instance_actor_document,
    instance_webfinger_document,
    names_instance_actor,
    person_document,
    requested_handle,
    webfinger_document,
)
from shared.problems import BadRequest, NotFound
from shared.public_user import PublicUser
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class DiscoveryQueries:
    urls: LocalUrls
    directory: UserDirectory
    keys: ActorKeys
    instance: InstanceActor

    async def webfinger(self, resource: str) -> dict[str, Any]:
        if names_instance_actor(resource, self.urls):
            return instance_webfinger_document(self.urls)
        try:
            handle = requested_handle(resource, self.urls)
        except MalformedResource as exc:
            raise BadRequest("The resource must be acct:handle@domain or an actor URL.") from exc
        if handle is None:
            raise NotFound("There is no such account here.")
        return webfinger_document(await self.local_user(handle), self.urls)

    async def person(self, handle: str) -> dict[str, Any]:
        user = await self.local_user(handle)
        key = await self.keys.of_user(user.id)
        return person_document(user, key.public_pem, self.urls)

    async def instance_actor(self) -> dict[str, Any]:
        key = await self.instance.key()
        return instance_actor_document(key.public_pem, self.urls)

    async def local_user(self, handle: str) -> PublicUser:
        user = await self.directory.by_handle(handle)
        if user is None:
            raise NotFound("There is no such account here.")
        return user
