"""A local user's followers and following collections, as remote servers read them (counts, no
members; followers on blocked domains are not counted; following: the remote accounts they
follow)."""

from dataclasses import dataclass
from typing import Any

from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls
from federation.domain_blocks.queries import DomainBlocks
from federation.followees.repository import RemoteFollowees
from federation.following.repository import RemoteFollowers
from shared.problems import NotFound
from shared.public_user import PublicUser
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class FollowingQueries:
    urls: LocalUrls
    directory: UserDirectory
    followers: RemoteFollowers
    followees: RemoteFollowees
    domain_blocks: DomainBlocks

    async def followers_collection(self, handle: str) -> dict[str, Any]:
        user = await self._local_user(handle)
        count = await self.followers.count(user.id, excluding=self.domain_blocks.domains)
        return _collection(self.urls.followers(user.handle), count)

    async def following_collection(self, handle: str) -> dict[str, Any]:
        user = await self._local_user(handle)
        count = await self.followees.count(user.id)
        return _collection(self.urls.following(user.handle), count)

    async def _local_user(self, handle: str) -> PublicUser:
        user = await self.directory.by_handle(handle)
        if user is None:
            raise NotFound("There is no such account here.")
        return user


def _collection(collection_id: str, total: int) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
