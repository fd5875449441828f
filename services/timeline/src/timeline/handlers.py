"""Event consumers of the timeline service: post.* and the follow graph, plus the user directory."""

from shared.bus import EventHandler
from shared.events import EventEnvelope
from shared.events.posts import (
    REMIX_EVENTS,
    PostCoauthorAdded,
    PostCoauthorRemoved,
    PostDeleted,
    PostLiked,
    PostPublished,
    PostReplied,
    PostReplyRemoved,
    PostUnliked,
    RemixEvent,
)
from shared.events.users import UserBlocked, UserDeleted, UserFollowed, UserUnfollowed
from shared.mongo import Database
from shared.relations import MUTE_REPLICA, RelationReplica, mute_handlers
from shared.service_app import ServiceRuntime
from shared.user_directory import UserDirectory
from timeline.engagement import EngagementRepository
from timeline.fan_out import TimelineWriter
from timeline.repository import EntryRepository, FollowRepository, PostCardRepository
from timeline.settings import TimelineSettings


def timeline_writer(settings: TimelineSettings, db: Database) -> TimelineWriter:
    return TimelineWriter(
        settings,
        PostCardRepository(db),
        FollowRepository(db),
        EntryRepository(db),
        EngagementRepository(db),
    )


def engagement_handlers(
    engagement: EngagementRepository, mutes: RelationReplica
) -> dict[str, EventHandler]:
    """Likes, replies and mutes (issue 12): counts, the like replica, the mute replica."""

    async def liked(_: EventEnvelope, data: PostLiked | PostUnliked) -> None:
        await engagement.record_like(data)
        await engagement.record_counts(data.post_id, data.counts)

    async def replied(_: EventEnvelope, data: PostReplied | PostReplyRemoved) -> None:
        await engagement.record_counts(data.post_id, data.counts)

    return {
        PostLiked.event_type: liked,
        PostUnliked.event_type: liked,
        PostReplied.event_type: replied,
        PostReplyRemoved.event_type: replied,
        **mute_handlers(mutes),
    }


def handlers_for(
    writer: TimelineWriter,
    directory: UserDirectory,
    engagement: EngagementRepository,
    mutes: RelationReplica,
) -> dict[str, EventHandler]:
    async def post_published(_: EventEnvelope, data: PostPublished) -> None:
        await writer.post_published(data)

    async def coauthor_added(_: EventEnvelope, data: PostCoauthorAdded) -> None:
        await writer.coauthor_added(data)

    async def coauthor_removed(_: EventEnvelope, data: PostCoauthorRemoved) -> None:
        await writer.coauthor_removed(data)

    async def post_deleted(_: EventEnvelope, data: PostDeleted) -> None:
        await writer.post_deleted(data)
        await engagement.forget_post(data.post_id)

    async def followed(_: EventEnvelope, data: UserFollowed) -> None:
        await writer.followed(data)
        await engagement.record_attribution(data)

    async def unfollowed(_: EventEnvelope, data: UserUnfollowed) -> None:
        await writer.unfollowed(data)
        await engagement.record_attribution(data)

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
        **engagement_handlers(engagement, mutes),
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
    db = runtime.db
    return handlers_for(
        timeline_writer(settings, db),
        UserDirectory(db),
        EngagementRepository(db),
        RelationReplica(db, MUTE_REPLICA),
    )
