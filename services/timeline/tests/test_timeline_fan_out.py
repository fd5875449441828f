"""The timeline service against real RabbitMQ and the embedded MongoDB: events in, pages out.

Story: x follows ann, y follows bob, z follows both; ann publishes p1, then bob accepts.
"""

from uuid import uuid4

import pytest
from prometheus_client import REGISTRY
from pymongo import AsyncMongoClient
from timeline_support import (
    Events,
    Feeds,
    TimelineApi,
    TimelineStarter,
    at,
    published,
)

from shared.events import make_event
from shared.events.users import UserBlocked, UserDeleted, UserFollowed, UserUnfollowed
from shared.mongo import Document
from shared.subscriptions import Delivery
from shared.testing import CommandCounter, counted_database
from timeline.components import fan_out_commands as timeline_writer
from timeline.settings import TimelineSettings


async def co_authored_post(events: Events, api: TimelineApi) -> None:
    await events.register("ann", "bob", "x", "y", "z")
    await events.follow("x", "ann")
    await events.follow("y", "bob")
    await events.follow("z", "ann")
    await events.follow("z", "bob")
    await events.publish("p1", "ann", when=10)
    await events.add_coauthor("p1", "ann", "bob", when=20, credit="photo")
    for reader in ("x", "y", "z"):
        await api.wait_for_home(reader, ["p1"])


async def test_followers_of_the_author_the_coauthor_or_both_see_the_post_once(
    events: Events, api: TimelineApi
) -> None:
    await co_authored_post(events, api)

    response = await api.home("z")
    [post] = response.json()["items"]
    assert post["author"]["handle"] == "ann"
    assert post["coauthors"] == [
        {
            "user": {
                "id": "bob",
                "handle": "bob",
                "display_name": "Bob",
                "created_at": post["author"]["created_at"],
                "avatar": None,
            },
            "status": "accepted",
            "credit": "photo",
        }
    ]
    assert post["status"] == "published"
    assert post["text"] == "text of p1"
    assert response.json()["next_cursor"] is None
    await api.wait_for_profile("ann", ["p1"])
    await api.wait_for_profile("bob", ["p1"])


@pytest.mark.parametrize("reason", ["left", "removed"])
async def test_a_coauthor_who_goes_takes_the_post_from_its_profile_and_its_own_audience(
    events: Events, api: TimelineApi, reason: str
) -> None:
    await co_authored_post(events, api)

    await events.remove_coauthor("p1", "ann", "bob", when=30, reason=reason)

    await api.wait_for_home("y", [])
    await api.wait_for_profile("bob", [])
    assert await api.home_ids("z") == ["p1"]
    assert await api.home_ids("x") == ["p1"]
    [post] = (await api.home("z")).json()["items"]
    assert post["coauthors"] == []


async def test_an_uncredited_removal_changes_nothing(events: Events, api: TimelineApi) -> None:
    await co_authored_post(events, api)
    await events.remove_coauthor("p1", "ann", "bob", when=30, reason="revoked", was_credited=False)
    await events.publish("p2", "bob", when=40)
    await api.wait_for_home("y", ["p2", "p1"])
    assert await api.profile_ids("bob") == ["p2", "p1"]


async def test_a_deleted_post_disappears_everywhere(events: Events, api: TimelineApi) -> None:
    await co_authored_post(events, api)

    await events.delete_post("p1", "ann", when=30)

    for reader in ("x", "y", "z"):
        await api.wait_for_home(reader, [])
    assert await api.profile_ids("ann") == []
    assert await api.profile_ids("bob") == []
    # A late co-author event cannot bring it back.
    await events.add_coauthor("p1", "ann", "z", when=40)
    await events.publish("p9", "ann", when=50)
    await api.wait_for_home("x", ["p9"])
    assert await api.profile_ids("z") == []


async def test_unfollow_removes_posts_no_other_followed_author_credits(
    events: Events, api: TimelineApi
) -> None:
    await co_authored_post(events, api)
    await events.publish("p2", "bob", when=30)
    await api.wait_for_home("z", ["p2", "p1"])

    await events.send(UserUnfollowed(follower_id="z", followee_id="bob", unfollowed_at=at(40)))

    await api.wait_for_home("z", ["p1"])


async def test_an_older_unfollow_does_not_undo_a_newer_follow(
    events: Events, api: TimelineApi
) -> None:
    await co_authored_post(events, api)

    await events.send(UserUnfollowed(follower_id="x", followee_id="ann", unfollowed_at=at(-5)))
    await events.publish("p2", "ann", when=30)

    await api.wait_for_home("x", ["p2", "p1"])


async def test_a_block_ends_follows_both_ways_and_purges_each_others_posts(
    events: Events, api: TimelineApi
) -> None:
    await co_authored_post(events, api)
    await events.publish("pz", "z", when=30)
    await events.follow("ann", "z", when=31)
    await api.wait_for_home("ann", ["pz", "p1"])  # with her own post

    await events.send(UserBlocked(blocker_id="z", blocked_id="ann", blocked_at=at(40)))

    # z still follows bob, who credits p1, but p1 is ann's post: it goes too.
    await api.wait_for_home("z", ["pz"])  # only its own post
    await api.wait_for_home("ann", ["p1"])  # only her own post is left
    await events.publish("p3", "ann", when=50)
    await api.wait_for_home("x", ["p3", "p1"])
    assert await api.home_ids("z") == ["pz"]


async def test_authors_and_coauthors_see_their_own_posts_at_home(
    events: Events, api: TimelineApi
) -> None:
    await co_authored_post(events, api)

    await api.wait_for_home("ann", ["p1"])
    await api.wait_for_home("bob", ["p1"])
    await events.remove_coauthor("p1", "ann", "bob", when=30)
    await api.wait_for_home("bob", [])


async def test_a_deleted_account_leaves_no_trace(events: Events, api: TimelineApi) -> None:
    await co_authored_post(events, api)
    await events.publish("pb", "bob", when=30)
    await api.wait_for_home("y", ["pb", "p1"])

    await events.send(UserDeleted(user_id="bob", deleted_at=at(40)))

    await api.wait_for_home("y", [])
    await api.wait_for_home("z", ["p1"])
    assert (await api.profile("bob")).status_code == 404
    [post] = (await api.home("x")).json()["items"]
    assert post["coauthors"] == []


async def test_a_new_follow_brings_the_followees_recent_posts_into_a_built_feed(
    events: Events, api: TimelineApi, feeds: Feeds
) -> None:
    await events.register("ann", "bob", "w")
    await events.publish("p1", "ann", when=10)
    await events.publish("p2", "bob", when=20, coauthors=("ann",))
    await events.publish("p3", "ann", when=30)
    await api.wait_for_profile("ann", ["p3", "p2", "p1"])
    assert await api.home_ids("w") == []  # w's feed is built, empty

    await events.follow("w", "ann", when=40)

    assert await feeds.posts("home", "w") is None  # deleted, to be pulled again
    assert await api.home_ids("w") == ["p3", "p2", "p1"]
    assert await feeds.posts("home", "w") == ["p3", "p2", "p1"]


async def test_home_feeds_keep_the_cap_in_redis_and_older_pages_come_from_mongodb(
    start_timeline: TimelineStarter, events: Events, feeds: Feeds
) -> None:
    async with start_timeline(home_timeline_cap=3) as api:
        await events.register("ann", "x")
        await events.follow("x", "ann")
        await api.wait_for_home("x", [])
        for n in range(5):
            await events.publish(f"p{n}", "ann", when=10 + n)
        await api.wait_for_profile("ann", ["p4", "p3", "p2", "p1", "p0"])

        assert await feeds.posts("home", "x") == ["p4", "p3", "p2"]
        await api.wait_for_home("x", ["p4", "p3", "p2", "p1", "p0"])


async def test_coauthor_added_before_published_shows_once_it_is_published(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann", "bob", "y")
    await events.follow("y", "bob")
    await events.add_coauthor("p1", "ann", "bob", when=5)
    await events.publish("p0", "bob", when=1)
    await api.wait_for_home("y", ["p0"])
    # Still pending: nowhere to be seen.
    assert await api.profile_ids("bob") == ["p0"]

    await events.publish("p1", "ann", when=10)

    await api.wait_for_home("y", ["p1", "p0"])
    await api.wait_for_profile("bob", ["p1", "p0"])


async def test_the_same_events_delivered_twice_end_in_the_same_timelines(
    events: Events, api: TimelineApi, feeds: Feeds
) -> None:
    await events.register("ann", "bob", "z")
    await events.follow("z", "ann")
    await events.follow("z", "bob")
    assert await api.home_ids("z") == []  # builds z's feed, for the fan-out to write to
    publication = make_event(published("p1", "ann", when=10, coauthors=("bob",)), producer="t")
    await events.send(publication, publication)
    # The same fact again under a new event id (a producer that re-sent it).
    await events.send(published("p1", "ann", when=10, coauthors=("bob",)))
    await events.add_coauthor("p1", "ann", "bob", when=10)
    await events.publish("p2", "ann", when=20)

    await api.wait_for_home("z", ["p2", "p1"])
    assert await feeds.posts("home", "z") == ["p2", "p1"]
    [_, p1] = (await api.home("z")).json()["items"]
    assert [c["user"]["id"] for c in p1["coauthors"]] == ["bob"]


async def test_a_published_post_costs_seven_commands_and_a_read_per_batch_of_followers(
    events: Events, api: TimelineApi, mongo_url: str
) -> None:
    followers = ["f1", "f2", "f3"]
    await events.register("ann", *followers)
    for follower in followers:
        await events.follow(follower, "ann")
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        mongo_url, tz_aware=True, event_listeners=[counter]
    )
    # Batches of two: three followers are two replies from MongoDB and two writes to Redis;
    # nothing is written to MongoDB per follower.
    writer = timeline_writer(TimelineSettings(fan_out_batch_size=2), client[api.db.name])
    try:
        await writer.post_published(Delivery(published("p1", "ann", when=10), uuid4()))
        commands = dict(counter.commands)
    finally:
        await client.close()

    more_followers = {name: n for name, n in commands.items() if name.startswith("getMore")}
    assert list(more_followers.values()) == [1]  # the third follower
    assert {name: n for name, n in commands.items() if name not in more_followers} == {
        "insert post_cards": 1,  # the card, written without reading it first
        "update profile_entries": 1,
        "find follower_counts": 1,  # is the author a celebrity?
        "find block_replica": 2,  # who blocks the author, and whom it blocks
        "find follows": 1,  # the first two followers
        "insert post_reach": 1,  # whom it reached, for the insights
    }
    for follower in followers:
        await api.wait_for_home(follower, ["p1"])


async def test_each_fan_out_is_measured_by_size_and_duration(
    events: Events, api: TimelineApi
) -> None:
    fan_outs = REGISTRY.get_sample_value("copost_fan_out_deliveries_count") or 0
    delivered = REGISTRY.get_sample_value("copost_fan_out_deliveries_sum") or 0
    timed = REGISTRY.get_sample_value("copost_fan_out_duration_seconds_count") or 0
    await events.register("ann", "x", "y")
    await events.follow("x", "ann")
    await events.follow("y", "ann")
    await events.publish("p1", "ann", when=10)
    await api.wait_for_home("y", ["p1"])
    # One fan-out, to the two followers (an author's own posts are merged in when read).
    assert REGISTRY.get_sample_value("copost_fan_out_deliveries_count") == fan_outs + 1
    assert REGISTRY.get_sample_value("copost_fan_out_deliveries_sum") == delivered + 2
    assert REGISTRY.get_sample_value("copost_fan_out_duration_seconds_count") == timed + 1


async def test_a_follow_costs_two_commands_and_its_feed_is_pulled_again(
    events: Events, api: TimelineApi, mongo_url: str
) -> None:
    await events.register("ann", "x", "y")
    await events.follow("y", "ann")
    await events.publish("p1", "ann", when=10)
    await api.wait_for_home("y", ["p1"])

    async with counted_database(mongo_url, api.db.name) as (db, commands):
        writer = timeline_writer(TimelineSettings(celebrity_follower_threshold=10_000), db)
        follow = UserFollowed(follower_id="x", followee_id="ann", followed_at=at(20))
        await writer.user_followed(Delivery(follow, uuid4()))

    assert dict(commands) == {
        "insert follows": 1,  # the new edge, unflagged (ann is no celebrity: no flag read)
        # One more follower for ann where her count stays far below the threshold and she is
        # unflagged, which the write's filter checks: nothing to read back or count again.
        "update follower_counts": 1,
        # No back-fill: x's home feed is deleted from Redis, pulled with ann's posts when read.
    }
    await api.wait_for_home("x", ["p1"])
    assert await api.db["follower_counts"].find_one({"_id": "ann"}, {"_id": 0, "followers": 1}) == {
        "followers": 2
    }

    # A first follower: the count is created by that same write.
    async with counted_database(mongo_url, api.db.name) as (db, commands):
        writer = timeline_writer(TimelineSettings(celebrity_follower_threshold=10_000), db)
        follow = UserFollowed(follower_id="ann", followee_id="x", followed_at=at(21))
        await writer.user_followed(Delivery(follow, uuid4()))
    assert dict(commands) == {"insert follows": 1, "update follower_counts": 1}
    counted = await api.db["follower_counts"].find_one({"_id": "x"}, {"_id": 0})
    assert counted == {"followers": 1, "celebrity": False}


async def test_a_count_near_the_threshold_is_not_changed_in_one_write_but_counted_again(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann", "x", "y")
    await events.follow("y", "ann")
    # As a crash or a lost race could leave it: a count drifted to near the recount limit
    # (150 - 0 - 100 = 50), where only an exact count may decide.
    drifted = await api.db["follower_counts"].update_one(
        {"_id": "ann", "followers": 1}, {"$set": {"followers": 49}}
    )
    assert drifted.matched_count == 1
    settings = TimelineSettings(celebrity_follower_threshold=150, celebrity_demotion_margin=0)
    writer = timeline_writer(settings, api.db)
    follow = UserFollowed(follower_id="x", followee_id="ann", followed_at=at(20))
    await writer.user_followed(Delivery(follow, uuid4()))
    counted = await api.db["follower_counts"].find_one({"_id": "ann"})
    assert counted is not None
    assert (counted["followers"], counted["celebrity"]) == (2, False)
