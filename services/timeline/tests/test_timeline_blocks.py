"""Blocks on profiles hold the moment the block call returns (issue 23).

The users service (its stand-in) knows of a block before user.blocked reaches this service,
so a profile's reader is checked with it: a profile whose owner blocks the reader is not
there, and a post co-authored by an account that blocks the reader is left out elsewhere.
Without the users service, the replica of block events answers.
"""

from datetime import UTC, datetime

from timeline_support import Events, TimelineStarter

from shared.events.users import UserBlocked
from shared.testing import EligibilityStandIn


async def test_a_blockers_profile_and_the_posts_they_share_vanish_for_the_blocked_at_once(
    events: Events, start_timeline: TimelineStarter
) -> None:
    users = EligibilityStandIn([])
    async with start_timeline(users=users) as api:
        await events.register("ann", "bob", "x")
        await events.publish("solo", "bob", when=1)
        await events.publish("shared", "bob", when=2, coauthors=("ann",))
        await api.wait_for_profile("bob", ["shared", "solo"])

        users.block("ann", "x")  # user.blocked never arrives here

        ann_for_x = await api.profile("ann", viewer="x")
        bob_for_x = await api.profile("bob", viewer="x")
        bob_for_others = await api.profile("bob", viewer="y")

    assert ann_for_x.status_code == 404
    assert ann_for_x.headers["content-type"].startswith("application/problem+json")
    assert [post["id"] for post in bob_for_x.json()["items"]] == ["solo"]
    assert [post["id"] for post in bob_for_others.json()["items"]] == ["shared", "solo"]


async def test_without_the_users_service_the_replica_of_block_events_answers(
    events: Events, start_timeline: TimelineStarter
) -> None:
    users = EligibilityStandIn([])
    users.failing = True
    async with start_timeline(users=users) as api:
        await events.register("ann", "x")
        await events.publish("p1", "ann", when=1)
        await api.wait_for_profile("ann", ["p1"])
        await events.send(
            UserBlocked(blocker_id="ann", blocked_id="x", blocked_at=datetime.now(UTC))
        )

        assert (await api.profile("ann", viewer="x")).status_code == 404
        assert (await api.profile("ann", viewer="y")).status_code == 200
