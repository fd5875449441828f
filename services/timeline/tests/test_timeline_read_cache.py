"""What a page shows besides its feeds, kept in Redis (the cards with their counts, the
authors' profiles, each reader's likes, mutes and followed celebrities): every page is what
MongoDB alone gives, whatever the events' order, after a flush, and after writes made while
Redis was away; a warm page reads nothing from MongoDB."""

import json
from typing import Any

from redis.asyncio import Redis
from test_timeline_feed_cache import relay_to
from timeline_support import Events, TimelineApi, TimelineStarter, at, make_star, published

from shared.events import EventData, make_event
from shared.events.posts import PostCounts, PostLiked, PostReplied, PostUnliked
from shared.events.users import UserMuted, UserUnmuted, UserUpdated
from shared.read_cache import CachedSets, CachedValues
from shared.redis_store import delete_keys
from shared.relations import MUTE_REPLICA, RelationReplica
from shared.testing import redis_key_prefix, wait_until
from shared.user_directory import UserDirectory
from timeline.core.repository import PostCardRepository
from timeline.engagement.repository import LikeRepository
from timeline.fanout.repository import EntryRepository, FollowRepository
from timeline.reads.queries import TimelineQueries

FANS = ["f1", "f2", "f3", "f4"]
READERS = ["star", "ann", "bob", *FANS]


def liked(post: str, liker: str, seq: int, version: int, *, like: bool = True) -> EventData:
    fields: dict[str, Any] = {
        "post_id": post,
        "liker_id": liker,
        "author_ids": ("ann",),
        "like_seq": seq,
        "counts": PostCounts(like_count=seq % 2, reply_count=0, version=version),
    }
    if like:
        return PostLiked(**fields, liked_at=at(100 + version))
    return PostUnliked(**fields, unliked_at=at(100 + version))


def renamed(user: str, name: str, when: float) -> UserUpdated:
    return UserUpdated(user_id=user, handle=user, display_name=name, updated_at=at(when))


async def a_social_graph(events: Events, api: TimelineApi) -> None:
    """star merged in at read time, ann and bob fanned out, co-authored posts, likes, a mute."""
    await events.register(*READERS)
    await make_star(events, api, FANS)
    for fan in FANS:
        await events.follow(fan, "ann")
        await events.follow(fan, "bob")
    await events.send(
        published("a1", "ann", when=10),
        published("b1", "bob", when=11, coauthors=("ann",)),
        published("s1", "star", when=12, coauthors=("bob",)),
        published("a2", "ann", when=13),
        liked("a1", "f1", 1, 1),
        liked("s1", "f2", 1, 1),
        UserMuted(muter_id="f3", muted_id="bob", muted_at=at(20)),
    )


async def pages(api: TimelineApi) -> dict[str, Any]:
    """Every reader's home page and every profile, as the service answers them."""
    found: dict[str, Any] = {}
    for reader in READERS:
        found[f"home {reader}"] = (await api.home(reader, limit=20)).json()
        found[f"profile {reader}"] = (await api.profile(reader, limit=20)).json()
    return found


async def from_mongodb(api: TimelineApi) -> dict[str, Any]:
    """The same pages, read from MongoDB alone (no Redis at all)."""
    db = api.db
    reader = TimelineQueries(
        FollowRepository(db),
        PostCardRepository(db),
        EntryRepository(db),
        UserDirectory(db),
        LikeRepository(db),
        RelationReplica(db, MUTE_REPLICA),
    )
    found: dict[str, Any] = {}
    for user in READERS:
        home = await reader.home(user, 20, None)
        profile = await reader.profile(user, 20, None, viewer_id="viewer")
        found[f"home {user}"] = json.loads(home.json())
        found[f"profile {user}"] = json.loads(profile.json())
    return found


def post(page: dict[str, Any], post_id: str) -> dict[str, Any]:
    [found] = [item for item in page["items"] if item["id"] == post_id]
    return found


async def test_warm_pages_follow_every_change_whatever_the_events_order(
    events: Events, api: TimelineApi, redis_url: str, namespace: str
) -> None:
    await a_social_graph(events, api)
    warm = await pages(api)
    assert warm == await from_mongodb(api)
    assert post(warm["home f1"], "a1")["liked_by_me"] is True
    assert "b1" not in [item["id"] for item in warm["home f3"]["items"]]  # f3 mutes bob

    # Each change arrives newer first, then older news and duplicates that must not win.
    unlike, like = liked("a1", "f1", 2, 2, like=False), liked("a1", "f1", 1, 1)
    await events.send(unlike, like, unlike)
    await events.send(renamed("ann", "Ann Two", 30), renamed("ann", "Ann One", 29))
    await events.send(
        UserUnmuted(muter_id="f3", muted_id="bob", unmuted_at=at(40)),
        UserMuted(muter_id="f3", muted_id="bob", muted_at=at(39)),
    )
    await events.send(
        PostReplied(
            post_id="a2",
            reply_id="r",
            replier_id="f4",
            author_ids=("ann",),
            counts=PostCounts(like_count=0, reply_count=1, version=1),
            replied_at=at(50),
        )
    )
    await events.add_coauthor("a2", "ann", "star", when=60)
    await events.follow("star", "ann")  # a new follower, its followed celebrities unchanged

    changed = await pages(api)
    assert changed == await from_mongodb(api)
    assert post(changed["home f1"], "a1")["liked_by_me"] is False
    assert post(changed["home f1"], "a1")["like_count"] == 0
    assert post(changed["home f2"], "a2")["author"]["display_name"] == "Ann Two"
    assert post(changed["home f2"], "a2")["reply_count"] == 1
    assert [c["user"]["id"] for c in post(changed["home f2"], "a2")["coauthors"]] == ["star"]
    assert "b1" in [item["id"] for item in changed["home f3"]["items"]]

    # Flushed: every page comes back the same from MongoDB, and is kept again.
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        await delete_keys(redis, f"{redis_key_prefix(namespace)}*")
        assert await pages(api) == changed
        assert await redis.keys(f"{redis_key_prefix(namespace)}card:*")
    finally:
        await redis.aclose()
    assert await pages(api) == changed


async def test_a_fill_that_raced_with_a_write_is_dropped(redis_url: str, namespace: str) -> None:
    """A reader copies what it read only if no write deleted its mark meanwhile."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    prefix = redis_key_prefix(namespace)
    values = CachedValues[str](redis, f"{prefix}v:", 60, encode=str, decode=str)
    sets = CachedSets(redis, f"{prefix}s:", 60)
    source = {"x": "old"}
    members = {"x": {"a"}}

    async def read_then_a_write_lands(ids: list[str]) -> dict[str, str]:
        found = {i: source[i] for i in ids if i in source}
        source["x"] = "new"
        await values.invalidate(["x"])
        return found

    async def read_set_then_a_write_lands(owner: str) -> set[str]:
        found = set(members[owner])
        members[owner] = {"a", "b"}
        await sets.invalidate([owner])
        return found

    async def read(ids: list[str]) -> dict[str, str]:
        return {i: source[i] for i in ids if i in source}

    async def read_set(owner: str) -> set[str]:
        return set(members[owner])

    try:
        assert await values.get_many(["x"], read_then_a_write_lands) == {"x": "old"}
        assert await values.get_many(["x"], read) == {"x": "new"}
        assert await values.get_many(["x", "gone"], read) == {"x": "new"}
        assert await redis.get(f"{prefix}v:x") == "=new"
        assert await redis.get(f"{prefix}v:gone") == "-"  # known to be absent

        assert await sets.members("x", read_set_then_a_write_lands) == {"a"}
        assert await sets.members("x", read_set) == {"a", "b"}
        assert await redis.smembers(f"{prefix}s:x") == {"", "a", "b"}
    finally:
        await redis.aclose()


async def test_a_page_changed_while_redis_was_away_is_not_served_stale_when_it_is_back(
    events: Events, start_timeline: TimelineStarter, redis_url: str
) -> None:
    async with (
        relay_to(redis_url) as relay,
        start_timeline(redis_url=f"redis://127.0.0.1:{relay.port}/0") as api,
    ):
        await events.register("ann", "x")
        await events.follow("x", "ann")
        await events.publish("p1", "ann", when=10)
        await api.wait_for_home("x", ["p1"])
        assert post((await api.home("x")).json(), "p1")["liked_by_me"] is False  # kept

        await relay.close()
        await events.send(renamed("ann", "Ann Away", 20), liked("p1", "x", 1, 1))
        away = (await api.home("x")).json()  # from MongoDB
        assert post(away, "p1")["author"]["display_name"] == "Ann Away"
        assert post(away, "p1")["liked_by_me"] is True

        await relay.open()

        async def back() -> bool:
            return "degraded" not in (await api.http.get("/readyz")).json()

        await wait_until(back)
        assert (await api.home("x")).json() == away
        assert (await api.profile("ann")).json()["items"][0]["author"]["display_name"] == (
            "Ann Away"
        )


async def test_redelivered_directory_events_leave_the_newest_profile(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann", "x")
    await events.follow("x", "ann")
    await events.publish("p1", "ann", when=10)
    await api.wait_for_home("x", ["p1"])
    newer = make_event(renamed("ann", "Newer", 30), producer="users")
    await events.send(newer, renamed("ann", "Older", 29))
    await events.forget(newer)
    await events.send(newer)
    assert post((await api.home("x")).json(), "p1")["author"]["display_name"] == "Newer"
