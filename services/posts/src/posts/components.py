"""The posts service's composition root: everything routes and handlers use, built once."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends

from posts.commands import EventCommands, PostCommands
from posts.engagement import Engagement
from posts.likes import LikeRepository
from posts.queries import PostQueries
from posts.repository import InviteCounterRepository, PostRepository
from posts.settings import PostsSettings
from shared.internal_http import EligibilityClient, users_service
from shared.periodic import PeriodicTask, running
from shared.relations import BLOCK_REPLICA, MUTE_REPLICA, RelationReplica
from shared.service_app import Kernel, components_dependency
from shared.user_directory import UserDirectory


@dataclass(frozen=True)
class PostsComponents:
    commands: PostCommands
    queries: PostQueries
    engagement: Engagement
    events: EventCommands
    directory: UserDirectory
    mutes: RelationReplica


@asynccontextmanager
async def compose(
    kernel: Kernel[PostsSettings], *, users_transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[PostsComponents]:
    """`users_transport` lets tests serve the users service's API from an in-process app."""
    settings = kernel.settings
    async with users_service(settings, settings.users_url, transport=users_transport) as users:
        components = _components(kernel, users)
        # Counters a crash left half settled are finished by this pass (issue 12).
        settling = PeriodicTask(
            "settle-engagement",
            components.engagement.settle_unsettled,
            interval_seconds=settings.outbox_sweep_seconds,
        )
        async with running(settling):
            yield components


def _components(kernel: Kernel[PostsSettings], users: EligibilityClient) -> PostsComponents:
    db = kernel.db
    posts = PostRepository(db, kernel.outbox)
    directory = UserDirectory(db)
    blocks = RelationReplica(db, BLOCK_REPLICA)
    mutes = RelationReplica(db, MUTE_REPLICA)
    engagement = Engagement(posts, LikeRepository(db), blocks)
    queries = PostQueries(
        posts=posts,
        directory=directory,
        users=users,
        engagement=engagement,
        hidden_repliers=(blocks, mutes),
    )
    commands = PostCommands(
        settings=kernel.settings,
        posts=posts,
        invite_counters=InviteCounterRepository(db),
        directory=directory,
        users=users,
        engagement=engagement,
        queries=queries,
    )
    events = EventCommands(posts=posts, engagement=engagement, blocks=blocks, mutes=mutes)
    return PostsComponents(commands, queries, engagement, events, directory, mutes)


Components = Annotated[PostsComponents, Depends(components_dependency(PostsComponents))]
