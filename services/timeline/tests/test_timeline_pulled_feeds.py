"""Home feeds pulled from MongoDB: the follow edges and the followees' profile entries are all
MongoDB keeps of them, so a feed Redis lacks, a page past what it keeps, and every page while
Redis is away come from those, complete and each post once.

Story: z follows ann and bob, who co-author some posts; z blocks carl, whom bob credits.
"""

from timeline_support import Events, Feeds, TimelineApi, TimelineStarter, at, published

from shared.events.users import UserBlocked, UserUnfollowed

# Newest first, as z reads them: c* are co-authored by ann and bob, so on both their profiles.
Z_HOME = ["b3", "c3", "a2", "c2", "b1", "c1", "a1"]


def in_pages(posts: list[str], limit: int) -> list[list[str]]:
    return [posts[start : start + limit] for start in range(0, len(posts), limit)]


async def co_authored_posts(events: Events, api: TimelineApi) -> None:
    await events.register("ann", "bob", "carl", "z")
    await events.follow("z", "ann")
    await events.follow("z", "bob")
    await events.send(
        published("a1", "ann", when=10),
        published("c1", "ann", when=11, coauthors=("bob",)),
        published("b1", "bob", when=12),
        published("c2", "bob", when=13, coauthors=("ann",)),
        published("a2", "ann", when=14),
        published("c3", "ann", when=15, coauthors=("bob",)),
        published("b3", "bob", when=16),
    )
    await api.wait_for_profile("bob", ["b3", "c3", "c2", "b1", "c1"])


async def test_a_pulled_feed_holds_each_co_authored_post_once_and_pages_exactly(
    events: Events, api: TimelineApi, feeds: Feeds
) -> None:
    await co_authored_posts(events, api)

    assert await api.home_pages("z", limit=2) == in_pages(Z_HOME, 2)
    assert await feeds.posts("home", "z") == Z_HOME  # pulled by the first page, each once
    assert await api.home_pages("z", limit=3) == in_pages(Z_HOME, 3)


async def test_past_the_cap_pages_are_pulled_from_mongodb_each_post_once(
    events: Events, start_timeline: TimelineStarter, feeds: Feeds
) -> None:
    async with start_timeline(home_timeline_cap=3) as api:
        await co_authored_posts(events, api)

        assert await api.home_pages("z", limit=2) == in_pages(Z_HOME, 2)
        assert await feeds.posts("home", "z") == Z_HOME[:3]


async def test_without_redis_pages_are_pulled_and_follow_unfollows_and_blocks(
    events: Events, start_timeline: TimelineStarter
) -> None:
    async with start_timeline(redis_url="redis://127.0.0.1:1/0") as api:
        await co_authored_posts(events, api)
        assert await api.home_pages("z", limit=2) == in_pages(Z_HOME, 2)

        await events.publish("k1", "carl", when=20, coauthors=("bob",))
        await api.wait_for_home("z", ["k1", *Z_HOME])
        await events.send(UserBlocked(blocker_id="z", blocked_id="carl", blocked_at=at(21)))
        await api.wait_for_home("z", Z_HOME)

        await events.send(UserUnfollowed(follower_id="z", followee_id="bob", unfollowed_at=at(22)))
        await api.wait_for_home("z", ["c3", "a2", "c2", "c1", "a1"])  # ann's, co-authored too


async def test_a_post_by_a_blocked_author_reaches_no_feed_through_a_coauthor(
    events: Events, api: TimelineApi, feeds: Feeds
) -> None:
    await co_authored_posts(events, api)
    await events.send(UserBlocked(blocker_id="z", blocked_id="carl", blocked_at=at(20)))
    assert await api.home_ids("z") == Z_HOME  # z's feed is built

    await events.publish("k1", "carl", when=21, coauthors=("bob",))
    await api.wait_for_profile("bob", ["k1", "b3", "c3", "c2", "b1", "c1"])

    # Neither fanned out to z's feed nor pulled into it: the same pages with or without it.
    assert await feeds.posts("home", "z") == Z_HOME
    assert await api.home_ids("z") == Z_HOME
    await feeds.redis.delete(feeds.key("home", "z"))
    assert await api.home_ids("z") == Z_HOME
    assert await feeds.posts("home", "z") == Z_HOME
