"""A local user's followers collection, as remote servers read it (counts, no members; followers
on blocked domains are not counted)."""

from dataclasses import dataclass
from typing import Any

from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls
from federation.following.repository import RemoteFollowers
from shared.problems import NotFound
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class FollowingQueries:
    urls: LocalUrls
    directory: UserDirectory
    followers: RemoteFollowers
    blocked_domains: list[str]

    async def followers_collection(self, handle: str) -> dict[str, Any]:
        user = await self.directory.by_handle(handle)
        if user is None:
            raise NotFound("There is no such account here.")
        return {
            "@context": AS_CONTEXT,
            "id": self.urls.followers(user.handle),
            "type": "OrderedCollection",
            "totalItems": await self.followers.count(user.id, excluding=self.blocked_domains),
        }
