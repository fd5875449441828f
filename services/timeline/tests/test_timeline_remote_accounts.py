"""Remote accounts in the timeline: one following a local author has no home timeline here,
so nothing is fanned out to it, while local followers get the post as ever."""

from timeline_support import Events, TimelineApi

from shared.remote_accounts import remote_user_id
from timeline.fanout.repository import FOLLOWS, HOME_ENTRIES

REMOTE = remote_user_id("https://social.example/users/rita")


async def test_a_remote_follower_gets_no_home_timeline_while_local_followers_get_the_post(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann", "x")
    await events.follow(REMOTE, "ann")
    await events.follow("x", "ann")

    await events.publish("p1", "ann", when=10)

    await api.wait_for_home("x", ["p1"])
    assert await api.db[HOME_ENTRIES].count_documents({"owner_id": REMOTE}) == 0
    assert await api.db[FOLLOWS].count_documents({"_id": {"$regex": f"^{REMOTE}"}}) == 0
