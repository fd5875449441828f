"""Celebrities over time: promoted, demoted, and counted again after a crash.

Story: the test threshold is 3, so `star` with four fans is a celebrity, and with three not.
"""

from timeline_support import (
    TEST_CELEBRITY_THRESHOLD,
    Events,
    Feeds,
    TimelineApi,
    TimelineStarter,
    at,
    make_star,
    wait_for_celebrity,
)

from shared.events.users import UserDeleted, UserUnfollowed
from timeline.fanout.repository import FollowRepository

FANS = ["f1", "f2", "f3", "f4"]


async def star_with_a_post(events: Events, api: TimelineApi) -> None:
    """`star`, a celebrity, has published s1, which every fan reads."""
    assert len(FANS) == TEST_CELEBRITY_THRESHOLD + 1
    await events.register("star", *FANS)
    await make_star(events, api, FANS)
    await events.publish("s1", "star", when=10)
    for fan in FANS:
        assert await api.home_ids(fan) == ["s1"]


async def flagged_edges(api: TimelineApi, followee: str) -> int:
    query = {"followee_id": followee, "active": True, "followee_celebrity": True}
    return await api.db["follows"].count_documents(query)


async def test_a_celebritys_post_is_added_to_no_home_feed_yet_every_fan_reads_it(
    events: Events, api: TimelineApi, feeds: Feeds
) -> None:
    await star_with_a_post(events, api)  # the fans' feeds are built

    await events.publish("s2", "star", when=20)

    for fan in FANS:
        assert await api.home_ids(fan) == ["s2", "s1"]
        assert "s2" not in (await feeds.posts("home", fan) or [])
    assert await flagged_edges(api, "star") == len(FANS)


async def test_a_demoted_celebritys_posts_stay_in_the_remaining_fans_timelines(
    events: Events, api: TimelineApi, feeds: Feeds
) -> None:
    await star_with_a_post(events, api)

    await events.send(UserUnfollowed(follower_id="f4", followee_id="star", unfollowed_at=at(20)))
    await wait_for_celebrity(api, "star", celebrity=False)

    # No longer merged at read: the fans' home feeds, pulled again, hold the post themselves.
    assert await flagged_edges(api, "star") == 0
    for fan in ("f1", "f2", "f3"):
        assert await api.home_ids(fan) == ["s1"]
        assert await feeds.posts("home", fan) == ["s1"]
    assert await api.home_ids("f4") == []
    # And the star's next posts are fanned out again.
    await events.publish("s2", "star", when=30)
    for fan in ("f1", "f2", "f3"):
        assert await feeds.posts("home", fan) == ["s2", "s1"]
    assert await api.home_ids("f1") == ["s2", "s1"]


async def test_a_deleted_fan_can_demote_the_celebrity_it_followed(
    events: Events, api: TimelineApi, feeds: Feeds
) -> None:
    await star_with_a_post(events, api)

    await events.send(UserDeleted(user_id="f4", deleted_at=at(20)))
    await wait_for_celebrity(api, "star", celebrity=False)

    assert await api.db["follower_counts"].find_one({"_id": "star"}, {"_id": 0}) == {
        "followers": TEST_CELEBRITY_THRESHOLD,
        "celebrity": False,
        "merged_at_read": False,
    }
    for fan in ("f1", "f2", "f3"):
        assert await api.home_ids(fan) == ["s1"]
        assert await feeds.posts("home", fan) == ["s1"]


async def test_a_promotion_keeps_fanned_out_posts_once_and_merges_the_new_ones(
    events: Events, api: TimelineApi, feeds: Feeds
) -> None:
    await events.register("star", *FANS)
    for fan in FANS[:-1]:
        await events.follow(fan, "star")
        assert await api.home_ids(fan) == []  # builds its feed
    await events.publish("s1", "star", when=10)
    for fan in FANS[:-1]:
        assert await feeds.posts("home", fan) == ["s1"]

    await events.follow("f4", "star", when=20)
    await wait_for_celebrity(api, "star", celebrity=True)
    await events.publish("s2", "star", when=30)

    for fan in FANS[:-1]:
        assert await feeds.posts("home", fan) == ["s1"]
    for fan in FANS:
        assert await api.home_ids(fan) == ["s2", "s1"]


async def test_a_follow_redelivered_after_a_crash_counts_the_followers_again(
    events: Events, api: TimelineApi
) -> None:
    await events.register("star", *FANS)
    # A crash after writing each follow edge and before counting it.
    follows = FollowRepository(api.db)
    for fan in FANS:
        await follows.record(fan, "star", active=True, as_of=at(0))
    assert await api.db["follower_counts"].find_one({"_id": "star"}) is None

    await events.follow("f4", "star")  # the last one, delivered again

    await wait_for_celebrity(api, "star", celebrity=True)
    count = await api.db["follower_counts"].find_one({"_id": "star"})
    assert count is not None
    assert count["followers"] == len(FANS)
    await events.publish("s1", "star", when=10)
    for fan in FANS:
        assert await api.home_ids(fan) == ["s1"]


async def test_far_from_the_threshold_a_crash_before_the_count_heals_at_the_redelivery(
    events: Events, start_timeline: TimelineStarter
) -> None:
    """Far below the threshold each follow change adds or takes one, without a recount."""
    async with start_timeline(celebrity_follower_threshold=10_000) as api:
        await events.register("ann", *FANS)
        for fan in FANS[:3]:
            await events.follow(fan, "ann")
        await events.send(UserUnfollowed(follower_id="f1", followee_id="ann", unfollowed_at=at(5)))
        # A crash after writing f4's edge and before adding it to the count.
        await FollowRepository(api.db).record("f4", "ann", active=True, as_of=at(9))
        assert await followers_stored(api, "ann") == 2

        await events.follow("f4", "ann", when=9)  # delivered again: counted again

        assert await followers_stored(api, "ann") == 3
        await events.follow("f4", "ann", when=9)  # and again: nothing changes
        assert await followers_stored(api, "ann") == 3


async def followers_stored(api: TimelineApi, author: str) -> int:
    count = await api.db["follower_counts"].find_one({"_id": author})
    assert count is not None
    return int(count["followers"])


async def test_a_follow_toggled_at_the_threshold_neither_demotes_nor_copies_posts(
    events: Events, start_timeline: TimelineStarter, feeds: Feeds
) -> None:
    """The review's attack: one follow toggled at exactly the threshold demoted the author
    each time, copying its posts into every follower's home timeline (now: deleting every
    follower's home feed, to be pulled again)."""
    async with start_timeline(celebrity_demotion_margin=1) as api:
        await star_with_a_post(events, api)

        for toggle in range(5):
            when = at(20 + 2 * toggle)
            await events.send(
                UserUnfollowed(follower_id="f4", followee_id="star", unfollowed_at=when)
            )
            await events.follow("f4", "star", when=21 + 2 * toggle)

        await wait_for_celebrity(api, "star", celebrity=True)
        for fan in ("f1", "f2", "f3"):  # built by star_with_a_post, never deleted since
            assert await feeds.posts("home", fan) == ["s1"]

        # Two below the threshold of three is past the margin of one: demoted, copied once.
        await events.send(
            UserUnfollowed(follower_id="f4", followee_id="star", unfollowed_at=at(40))
        )
        await events.send(
            UserUnfollowed(follower_id="f3", followee_id="star", unfollowed_at=at(40))
        )
        await wait_for_celebrity(api, "star", celebrity=False)
        for fan in ("f1", "f2"):
            assert await feeds.posts("home", fan) is None  # deleted by the demotion
            assert await api.home_ids(fan) == ["s1"]
            assert await feeds.posts("home", fan) == ["s1"]
        for fan in ("f3", "f4"):
            assert await api.home_ids(fan) == []
