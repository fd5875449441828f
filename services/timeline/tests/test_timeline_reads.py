"""Reading timelines: pagination, the hybrid merge of celebrities, and what a read costs."""

from pymongo import AsyncMongoClient
from redis.asyncio import Connection, Redis
from timeline_support import (
    Events,
    TimelineApi,
    TimelineStarter,
    make_star,
    published,
)

from shared.mongo import MIGRATIONS, Document
from shared.pagination import Page
from shared.public_post import PostOut
from shared.relations import MUTE_REPLICA, RelationReplica
from shared.testing import CommandCounter, redis_key_prefix
from shared.user_directory import UserDirectory
from timeline.components import follow_repository, read_caches
from timeline.core.repository import PostCardRepository
from timeline.engagement.repository import LikeRepository
from timeline.fanout.repository import EntryRepository, FollowRepository
from timeline.reads.queries import TimelineQueries as TimelineReader
from timeline.settings import TimelineSettings


async def test_pages_are_stable_while_newer_posts_arrive(events: Events, api: TimelineApi) -> None:
    await events.register("ann", "x")
    await events.follow("x", "ann")
    await api.wait_for_profile("ann", [])
    for n in range(5):
        await events.publish(f"p{n}", "ann", when=10 + n)
    await api.wait_for_home("x", ["p4", "p3", "p2", "p1", "p0"])

    first = (await api.home("x", limit=2)).json()
    await events.publish("p9", "ann", when=99)
    await api.wait_for_home("x", ["p9", "p4", "p3", "p2", "p1", "p0"])
    second = (await api.home("x", limit=2, cursor=first["next_cursor"])).json()
    third = (await api.home("x", limit=2, cursor=second["next_cursor"])).json()

    assert [p["id"] for p in first["items"]] == ["p4", "p3"]
    assert [p["id"] for p in second["items"]] == ["p2", "p1"]
    assert [p["id"] for p in third["items"]] == ["p0"]
    assert third["next_cursor"] is None


async def test_pages_joined_from_rendered_posts_are_the_bytes_pydantic_gives(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann", "x")
    await events.follow("x", "ann")
    await api.wait_for_profile("ann", [])
    for n in range(3):
        await events.publish(f"p{n}", "ann", when=10 + n)
    await api.wait_for_home("x", ["p2", "p1", "p0"])

    for page in (await api.home("x", limit=2), await api.home("x", limit=2)):  # cold, then warm
        as_pydantic = Page[PostOut].model_validate_json(page.content)
        assert page.headers["content-type"] == "application/json"
        assert page.content == as_pydantic.model_dump_json(by_alias=True).encode()
        assert as_pydantic.next_cursor is not None


async def test_posts_published_at_the_same_instant_are_neither_lost_nor_repeated(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann", "x")
    await events.follow("x", "ann")
    await api.wait_for_profile("ann", [])
    await events.send(*(published(f"p{n}", "ann", when=10) for n in range(5)))
    await api.wait_for_home("x", ["p4", "p3", "p2", "p1", "p0"])

    assert await api.home_pages("x", limit=2) == [["p4", "p3"], ["p2", "p1"], ["p0"]]


async def test_celebrity_posts_are_merged_at_read_time_each_post_once(
    events: Events, api: TimelineApi
) -> None:
    fans = ["f1", "f2", "f3", "f4"]
    await events.register("ann", "star", *fans)
    await make_star(events, api, fans)
    await events.follow("f1", "ann")
    await api.wait_for_profile("ann", [])
    await events.publish("a1", "ann", when=10)
    await events.publish("s1", "star", when=20)
    await events.publish("a2", "ann", when=30, coauthors=("star",))
    await events.publish("s2", "star", when=40)

    await api.wait_for_home("f1", ["s2", "a2", "s1", "a1"])
    await api.wait_for_home("f2", ["s2", "a2", "s1"])
    assert await api.home_pages("f1", limit=1) == [["s2"], ["a2"], ["s1"], ["a1"]]


async def test_a_celebrity_post_leaves_with_its_deletion(events: Events, api: TimelineApi) -> None:
    fans = ["f1", "f2", "f3", "f4"]
    await events.register("star", *fans)
    await make_star(events, api, fans)
    await events.publish("s1", "star", when=20)
    await api.wait_for_home("f3", ["s1"])

    await events.delete_post("s1", "star", when=30)

    await api.wait_for_home("f3", [])


class CountedConnection(Connection):
    """Counts what it sends: one send is one round trip (a pipeline or a script is one)."""

    sent = 0

    async def send_packed_command(self, command: object, check_health: bool = True) -> None:
        CountedConnection.sent += 1
        await super().send_packed_command(command, check_health)  # type: ignore[arg-type]


async def test_a_home_read_costs_the_same_queries_whatever_the_number_of_follows(
    events: Events, api: TimelineApi, mongo_url: str, redis_url: str, namespace: str
) -> None:
    fans = ["f1", "f2", "f3", "f4"]
    authors = [f"a{n}" for n in range(6)]
    await events.register("star", *fans, *authors)
    await make_star(events, api, fans)
    for n, author in enumerate(authors):
        await events.follow("f1", author)
        await events.publish(f"p{n}", author, when=10 + n, coauthors=("star",))
    await api.wait_for_home("f1", [f"p{n}" for n in reversed(range(6))])

    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        mongo_url, tz_aware=True, event_listeners=[counter]
    )
    redis = Redis.from_url(redis_url, decode_responses=True, connection_class=CountedConnection)
    db = client[api.db.name]
    caches = read_caches(redis, TimelineSettings(redis_key_prefix=redis_key_prefix(namespace)))
    cached = TimelineReader(
        follow_repository(db, caches),
        PostCardRepository(db, caches.cards),
        EntryRepository(db, caches.feeds),
        UserDirectory(db, caches.directory),
        LikeRepository(db, caches.liked_by_reader),
        RelationReplica(db, MUTE_REPLICA, caches.mutes),
    )
    uncached = TimelineReader(
        FollowRepository(db),
        PostCardRepository(db),
        EntryRepository(db),
        UserDirectory(db),
        LikeRepository(db),
        RelationReplica(db, MUTE_REPLICA),
    )
    try:
        await cached.home("f1", limit=20, cursor=None)  # the feeds are there after a first read
        counter.commands.clear()
        CountedConnection.sent = 0
        page = await cached.home("f1", limit=20, cursor=None)
        from_redis = dict(counter.commands)
        round_trips = CountedConnection.sent
        counter.commands.clear()
        await uncached.home("f1", limit=20, cursor=None)
        from_mongodb = dict(counter.commands)
        await events.publish("p6", "a0", when=30)
        await api.wait_for_home("f1", [f"p{n}" for n in reversed(range(7))])
        CountedConnection.sent = 0
        changed = await cached.home("f1", limit=20, cursor=None)
        round_trips_after_a_post = CountedConnection.sent
    finally:
        await client.close()
        await redis.aclose()

    assert len(page.items) == 6
    assert from_redis == {}  # a warm page: feeds, cards, profiles and overlays from Redis
    # The reader's sets with what its last read needed: its feeds (its own, its celebrity's),
    # the cards and profiles of that page (the same page: nothing is left to ask for).
    assert round_trips == 1
    # A post since: its card was not peeked at, so it is read after the page is known.
    assert b'"id":"p6"' in changed.items[0]
    assert len(changed.items) == 7
    assert round_trips_after_a_post == 2
    assert from_mongodb == {
        "find mute_replica": 1,
        # The celebrities f1 follows; then every account it follows, for its home feed,
        # pulled from their profiles in one query, less posts of accounts in a block with f1.
        "find follows": 2,
        "find block_replica": 2,
        "find profile_entries": 3,  # and f1's own profile and star's, one query each
        "find post_cards": 1,
        "find user_profiles": 1,
        "find like_replica": 1,
    }


async def test_an_unknown_handle_has_no_posts(api: TimelineApi) -> None:
    response = await api.profile("nobody")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_bad_paging_parameters_are_client_errors(api: TimelineApi) -> None:
    assert (await api.home("x", limit=0)).status_code == 422
    assert (await api.home("x", limit=101)).status_code == 422
    assert (await api.home("x", cursor="garbage!")).status_code == 400
    assert (await api.http.get("/v1/timeline")).status_code == 401


async def test_entries_stored_before_positions_existed_are_paged_after_a_restart(
    events: Events, start_timeline: TimelineStarter
) -> None:
    async with start_timeline() as api:
        await events.register("ann", "x")
        await events.follow("x", "ann")
        await api.wait_for_profile("ann", [])
        await events.send(*(published(f"p{n}", "ann", when=10 + n % 2) for n in range(5)))
        await api.wait_for_home("x", ["p3", "p1", "p4", "p2", "p0"])
        # As an earlier version of the service left them: no positions, no migration record.
        await api.db["profile_entries"].update_many({}, {"$unset": {"position": ""}})
        await api.db[MIGRATIONS].delete_many({})

    async with start_timeline() as api:
        assert await api.home_pages("x", limit=2) == [["p3", "p1"], ["p4", "p2"], ["p0"]]
        assert await api.profile_ids("ann") == ["p3", "p1", "p4", "p2", "p0"]
