"""Remote accounts' posts, as the federation service reports them: kept as published posts
of those accounts (so the timeline fans them out to their local followers like any post, and
blocks and mutes apply as to any author), edited and deleted by their authors' word. Each is
idempotent: a post's id is derived from its Note's, an edit applies only when newer."""

from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from posts.core.commands import PostCommands
from posts.core.repository import PostRepository
from posts.core.rules import Change
from posts.remote.rules import delete_remote_post, edit_remote_post, received_post
from posts.settings import PostsSettings
from shared.events.federation import RemotePostDeleted, RemotePostEdited, RemotePostReceived
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class RemotePostCommands:
    settings: PostsSettings
    core: PostCommands
    posts: PostRepository
    directory: UserDirectory

    async def remote_post_received(self, delivery: Delivery[RemotePostReceived]) -> None:
        received = delivery.event
        if await self.posts.get(received.post_id) is not None:
            return  # taken already
        await self.keep(received, received_post(received, self.settings.max_text_length))

    async def keep(self, received: RemotePostReceived, change: Change) -> bool:
        """Stores the remote post `change` makes of `received`, with where it came from; False
        when another delivery of it took it meanwhile."""
        # The author's profile arrives from the users service, maybe after this: the post
        # renders from the directory when it does.
        author = await self.directory.get(received.author_id)
        try:
            await self.core.insert(change, [author] if author else [])
        except DuplicateKeyError:
            return False
        return True

    async def remote_post_edited(self, delivery: Delivery[RemotePostEdited]) -> None:
        edited = delivery.event
        await self.core.apply_if_present(
            edited.post_id,
            lambda post: edit_remote_post(post, edited, self.settings.max_text_length),
        )

    async def remote_post_deleted(self, delivery: Delivery[RemotePostDeleted]) -> None:
        deleted = delivery.event
        await self.core.apply_if_present(
            deleted.post_id, lambda post: delete_remote_post(post, deleted)
        )
