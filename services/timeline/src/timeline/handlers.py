"""Event consumers of the timeline service: post.* and the follow graph, plus the user directory."""

from shared.bus import EventHandler
from shared.events import EventEnvelope
from shared.events.posts import (
    REMIX_EVENTS,
    PostCoauthorAdded,
    PostCoauthorRemoved,
    PostDeleted,
    PostPublished,
    RemixEvent,
)
from shared.events.users import UserBlocked, UserDeleted, UserFollowed, UserUnfollowed
from shared.mongo import Database
from shared.service_app import ServiceRuntime
from shared.user_directory import UserDirectory
from timeline.fan_out import TimelineWriter
from timeline.repository import EntryRepository, FollowRepository, PostCardRepository
from timeline.settings import TimelineSettings


def timeline_writer(settings: TimelineSettings, db: Database) -> TimelineWriter:
    return TimelineWriter(
        settings, PostCardRepository(db), FollowRepository(db), EntryRepository(db)
    )


def handlers_for(writer: TimelineWriter, directory: UserDirectory) -> dict[str, EventHandler]:
    async def post_published(_: EventEnvelope, data: PostPublished) -> None:
        await writer.post_published(data)

    async def coauthor_added(_: EventEnvelope, data: PostCoauthorAdded) -> None:
        await writer.coauthor_added(data)

    async def coauthor_removed(_: EventEnvelope, data: PostCoauthorRemoved) -> None:
        await writer.coauthor_removed(data)

    async def post_deleted(_: EventEnvelope, data: PostDeleted) -> None:
        await writer.post_deleted(data)

    async def followed(_: EventEnvelope, data: UserFollowed) -> None:
        await writer.followed(data)

    async def unfollowed(_: EventEnvelope, data: UserUnfollowed) -> None:
        await writer.unfollowed(data)

    async def blocked(_: EventEnvelope, data: UserBlocked) -> None:
        await writer.blocked(data)

    async def user_deleted(_: EventEnvelope, data: UserDeleted) -> None:
        await directory.apply_deleted(data)
        await writer.user_deleted(data)

    async def remix_status_changed(_: EventEnvelope, data: RemixEvent) -> None:
        await writer.remix_status_changed(data)

    return {
        **directory.event_handlers(),
        **{event.event_type: remix_status_changed for event in REMIX_EVENTS},
        PostPublished.event_type: post_published,
        PostCoauthorAdded.event_type: coauthor_added,
        PostCoauthorRemoved.event_type: coauthor_removed,
        PostDeleted.event_type: post_deleted,
        UserFollowed.event_type: followed,
        UserUnfollowed.event_type: unfollowed,
        UserBlocked.event_type: blocked,
        UserDeleted.event_type: user_deleted,
    }


def event_handlers(runtime: ServiceRuntime) -> dict[str, EventHandler]:
    settings = runtime.settings
    assert isinstance(settings, TimelineSettings)
    return handlers_for(timeline_writer(settings, runtime.db), UserDirectory(runtime.db))
