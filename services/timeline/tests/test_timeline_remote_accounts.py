"""Remote accounts in the timeline: one following a local author has no home timeline here,
so nothing is fanned out to it, while local followers get the post as ever; a remote
account's posts reach its local followers like any author's, and muting or blocking it takes
them out."""

from timeline_support import Events, Feeds, TimelineApi, at

from shared.events.users import UserBlocked, UserMuted, UserRegistered
from shared.remote_accounts import remote_user_id
from timeline.fanout.repository import FOLLOWS

REMOTE = remote_user_id("https://social.example/users/rita")


async def test_a_remote_follower_gets_no_home_timeline_while_local_followers_get_the_post(
    events: Events, api: TimelineApi, feeds: Feeds
) -> None:
    await events.register("ann", "x")
    await events.follow(REMOTE, "ann")
    await events.follow("x", "ann")

    await events.publish("p1", "ann", when=10)

    await api.wait_for_home("x", ["p1"])
    assert await feeds.posts("home", REMOTE) is None
    assert await api.db[FOLLOWS].count_documents({"_id": {"$regex": f"^{REMOTE}"}}) == 0


async def remote_post_followed_by_x(events: Events, api: TimelineApi) -> None:
    """x follows the remote account rita, whose post (taken in by the posts service) it sees."""
    await events.register("x")
    await events.send(
        UserRegistered(
            user_id=REMOTE,
            handle="rita@social.example",
            display_name="Rita",
            created_at=at(0),
            domain="social.example",
        )
    )
    await events.follow("x", REMOTE, when=1)
    await events.publish("remote-post", REMOTE, when=10)
    await api.wait_for_home("x", ["remote-post"])
    (post,) = (await api.home("x")).json()["items"]
    assert post["author"]["handle"] == "rita@social.example"


async def test_muting_a_remote_account_takes_its_posts_out_of_the_home_timeline(
    events: Events, api: TimelineApi
) -> None:
    await remote_post_followed_by_x(events, api)

    await events.send(UserMuted(muter_id="x", muted_id=REMOTE, muted_at=at(20)))

    await api.wait_for_home("x", [])


async def test_blocking_a_remote_account_takes_its_posts_out_of_the_home_timeline(
    events: Events, api: TimelineApi
) -> None:
    await remote_post_followed_by_x(events, api)

    await events.send(UserBlocked(blocker_id="x", blocked_id=REMOTE, blocked_at=at(20)))

    await api.wait_for_home("x", [])
    await events.publish("later", REMOTE, when=30)
    assert await api.home_ids("x") == []
