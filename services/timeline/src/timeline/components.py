"""The timeline service's composition root: its components, built once at start-up."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from shared.mongo import Database, migrate_once
from shared.relations import MUTE_REPLICA, RelationReplica
from shared.service_app import Kernel, components_dependency
from shared.user_directory import UserDirectory
from timeline.commands import TimelineWriter
from timeline.engagement import EngagementRepository
from timeline.queries import TimelineReader
from timeline.repository import EntryRepository, FollowRepository, PostCardRepository
from timeline.settings import TimelineSettings


@dataclass(frozen=True)
class TimelineComponents:
    writer: TimelineWriter
    reader: TimelineReader
    engagement: EngagementRepository
    directory: UserDirectory
    mutes: RelationReplica


@asynccontextmanager
async def compose(kernel: Kernel[TimelineSettings]) -> AsyncIterator[TimelineComponents]:
    db = kernel.db
    await migrate_once(db, "timeline-entry-positions", EntryRepository(db).store_positions)
    await migrate_once(
        db, "timeline-counts-on-cards", EngagementRepository(db).move_counts_to_cards
    )
    yield TimelineComponents(
        writer=timeline_writer(kernel.settings, db),
        reader=timeline_reader(db),
        engagement=EngagementRepository(db),
        directory=UserDirectory(db),
        mutes=RelationReplica(db, MUTE_REPLICA),
    )


def timeline_writer(settings: TimelineSettings, db: Database) -> TimelineWriter:
    return TimelineWriter(
        settings,
        PostCardRepository(db),
        FollowRepository(db),
        EntryRepository(db),
        EngagementRepository(db),
    )


def timeline_reader(db: Database) -> TimelineReader:
    return TimelineReader(
        FollowRepository(db),
        PostCardRepository(db),
        EntryRepository(db),
        UserDirectory(db),
        EngagementRepository(db),
        RelationReplica(db, MUTE_REPLICA),
    )


Components = Annotated[TimelineComponents, Depends(components_dependency(TimelineComponents))]
