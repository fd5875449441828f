"""The edit use cases that change state: proposing, approving, rejecting and withdrawing an
edit, and the sweep that expires proposals whose time is up."""

from dataclasses import dataclass
from datetime import timedelta

from posts.core.commands import PostCommands, new_id
from posts.editing.queries import EditingQueries
from posts.editing.repository import EditRepository
from posts.editing.rules import (
    EditAnswer,
    EditLimits,
    answer,
    expire,
    media_to_reserve,
    propose,
    withdraw,
)
from posts.editing.schemas import EditOut, EditRequest
from posts.media.client import MediaAttachments
from posts.settings import PostsSettings
from shared.clock import utc_now


def edit_limits(settings: PostsSettings) -> EditLimits:
    return EditLimits(
        window=timedelta(seconds=settings.edit_window_seconds),
        max_edits=settings.max_edits_per_post,
        approval_window=timedelta(seconds=settings.edit_approval_seconds),
        max_text_length=settings.max_text_length,
    )


@dataclass(frozen=True, slots=True)
class EditingCommands:
    limits: EditLimits
    core: PostCommands
    edits: EditRepository
    queries: EditingQueries
    media: MediaAttachments

    async def propose(self, post_id: str, proposer_id: str, request: EditRequest) -> EditOut:
        await self.core.require_live_account(proposer_id)
        edit_id, now = new_id(), utc_now()
        stored = await self.core.posts.get(post_id)
        new_media_ids = media_to_reserve(
            stored.post if stored else None,
            proposer_id=proposer_id,
            text=request.text,
            base_version=request.base_version,
            limits=self.limits,
            now=now,
            media_ids=request.media_ids,
            alt_texts=request.alt_texts,
        )
        # The proposer's uploads are reserved for this edit as a new post takes them.
        reserved = await self.media.attach(
            proposer_id, post_id, new_media_ids, public=True, edit_id=edit_id
        )
        change = await self.core.apply(
            post_id,
            lambda post: propose(
                post,
                edit_id=edit_id,
                proposer_id=proposer_id,
                text=request.text,
                base_version=request.base_version,
                limits=self.limits,
                now=now,
                media_ids=request.media_ids,
                alt_texts=request.alt_texts,
                reserved=reserved,
            ),
        )
        return await self.queries.render_edit(change.post, proposer_id)

    async def answer(
        self, post_id: str, edit_id: str, actor_id: str, verdict: EditAnswer
    ) -> EditOut:
        now = utc_now()
        change = await self.core.apply(
            post_id, lambda post: answer(post, edit_id, actor_id, verdict, now)
        )
        return await self.queries.render_edit(change.post, actor_id)

    async def withdraw(self, post_id: str, edit_id: str, actor_id: str) -> None:
        now = utc_now()
        await self.core.apply(post_id, lambda post: withdraw(post, edit_id, actor_id, now))

    async def expire_due(self) -> None:
        """Proposals past their time expire (answering one already refuses: this writes it)."""
        now = utc_now()
        for post_id in await self.edits.with_pending_edit_due(now):
            await self.core.apply_if_present(post_id, lambda post: expire(post, now))
