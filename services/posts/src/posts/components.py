"""The posts service's composition root: each capability's use cases, built once at start-up."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends

from posts.authoring.commands import AuthoringCommands
from posts.coauthoring.commands import CoauthoringCommands
from posts.coauthoring.repository import (
    CoauthorRepository,
    InviteCounterRepository,
    WithdrawnInvitationRepository,
)
from posts.core.commands import PostCommands
from posts.core.queries import PostQueries
from posts.core.repository import PostRepository
from posts.editing.commands import EditingCommands, edit_limits
from posts.editing.queries import EditingQueries
from posts.editing.repository import EditRepository
from posts.engagement.commands import EngagementCommands
from posts.engagement.queries import EngagementQueries
from posts.engagement.repository import CountRepository, LikeRepository, ReplyRepository
from posts.media.client import MediaAttachments, PendingMediaUrls
from posts.media.commands import MediaEdits
from posts.remixing.commands import RemixingCommands
from posts.remixing.queries import RemixingQueries
from posts.remixing.remote_quotes import RemoteQuoteCommands
from posts.remixing.repository import RemixRepository
from posts.remote.commands import RemotePostCommands
from posts.settings import PostsSettings
from posts.succession.commands import SuccessionCommands
from shared.internal_http import EligibilityClient, users_service
from shared.media_client import MediaClient, media_service
from shared.periodic import PeriodicTask, running
from shared.relations import BLOCK_REPLICA, MUTE_REPLICA, BlockGuard, RelationReplica
from shared.service_app import Kernel, components_dependency
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class PostsComponents:
    queries: PostQueries
    authoring: AuthoringCommands
    coauthoring: CoauthoringCommands
    remixing: RemixingCommands
    remix_queries: RemixingQueries
    engagement: EngagementCommands
    engagement_queries: EngagementQueries
    media_edits: MediaEdits
    editing: EditingCommands
    edit_queries: EditingQueries
    succession: SuccessionCommands
    directory: UserDirectory
    mutes: RelationReplica
    remote_posts: RemotePostCommands
    remote_quotes: RemoteQuoteCommands


@asynccontextmanager
async def compose(
    kernel: Kernel[PostsSettings],
    *,
    users_transport: httpx.AsyncBaseTransport | None = None,
    media_transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[PostsComponents]:
    """The transports let tests serve the users and media services' APIs from in-process apps."""
    settings = kernel.settings
    async with (
        users_service(settings, settings.users_url, transport=users_transport) as users,
        media_service(settings, settings.media_url, transport=media_transport) as media,
    ):
        components = _components(kernel, users, media)
        # Counters a crash left half settled are finished by this pass.
        settling = PeriodicTask(
            "settle-engagement",
            components.engagement.settle_unsettled,
            interval_seconds=settings.outbox_sweep_seconds,
        )
        expiring_edits = PeriodicTask(
            "expire-edits",
            components.editing.expire_due,
            interval_seconds=settings.edit_expiry_sweep_seconds,
        )
        async with running(settling, expiring_edits):
            yield components


def _components(
    kernel: Kernel[PostsSettings], users: EligibilityClient, media_client: MediaClient
) -> PostsComponents:
    db, settings = kernel.db, kernel.settings
    posts, remixes, likes = PostRepository(db), RemixRepository(db), LikeRepository(db)
    directory = UserDirectory(db)
    blocks, mutes = RelationReplica(db, BLOCK_REPLICA), RelationReplica(db, MUTE_REPLICA)
    core = PostCommands(posts, kernel.outbox, directory, users)
    media = MediaAttachments(media_client)
    queries = PostQueries(
        posts,
        remixes,
        likes,
        directory,
        users,
        BlockGuard(users, blocks),
        PendingMediaUrls(media_client),
    )
    threads = ReplyRepository(db)
    engagement = EngagementCommands(
        settings,
        core,
        posts,
        likes,
        CountRepository(db),
        threads,
        queries,
        kernel.outbox,
        blocks,
        mutes,
        media,
    )
    remix_queries = RemixingQueries(posts, remixes, queries)
    remixing = RemixingCommands(core, posts, remixes, remix_queries, users)
    coauthoring = CoauthoringCommands(
        settings,
        core,
        posts,
        CoauthorRepository(db),
        InviteCounterRepository(db),
        queries,
        users,
        engagement,
        WithdrawnInvitationRepository(db),
    )
    edit_queries = EditingQueries(posts, queries)
    editing = EditingCommands(edit_limits(settings), core, EditRepository(db), edit_queries, media)
    remote_posts = RemotePostCommands(settings, core, posts, directory)
    return PostsComponents(
        queries=queries,
        authoring=AuthoringCommands(
            settings, core, queries, coauthoring, remixing, engagement, media
        ),
        coauthoring=coauthoring,
        remixing=remixing,
        remix_queries=remix_queries,
        engagement=engagement,
        engagement_queries=EngagementQueries(
            posts, likes, threads, queries, directory, users, blocks, mutes
        ),
        media_edits=MediaEdits(core),
        editing=editing,
        edit_queries=edit_queries,
        succession=SuccessionCommands(core, queries),
        directory=directory,
        mutes=mutes,
        remote_posts=remote_posts,
        remote_quotes=RemoteQuoteCommands(settings, core, posts, remixing, remote_posts),
    )


Components = Annotated[PostsComponents, Depends(components_dependency(PostsComponents))]
