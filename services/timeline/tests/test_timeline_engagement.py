"""The timeline's engagement projections (issue 12): counts and likes under duplicated and
reordered events, muted co-authors leaving home timelines, and insights as credits change."""

from typing import Any

from timeline_support import Events, TimelineApi, TimelineStarter, at

from shared.events import EventData, EventEnvelope, make_event
from shared.events.posts import PostCounts, PostLiked, PostReplied, PostUnliked
from shared.events.users import UserFollowed, UserMuted, UserUnfollowed, UserUnmuted
from shared.mongo import MIGRATIONS
from shared.testing import identity_headers, wait_until


def counts(likes: int, replies: int, version: int) -> PostCounts:
    return PostCounts(like_count=likes, reply_count=replies, version=version)


def liked(liker: str, seq: int, shared: PostCounts, *, like: bool = True) -> EventData:
    fields: dict[str, Any] = {
        "post_id": "p",
        "liker_id": liker,
        "author_ids": ("ann", "ben"),
        "like_seq": seq,
        "counts": shared,
    }
    if like:
        return PostLiked(**fields, liked_at=at(100 + shared.version))
    return PostUnliked(**fields, unliked_at=at(100 + shared.version))


# As the posts service announces them: f1 likes, f2 likes, f3 replies, f1 unlikes, f3 likes.
ENGAGEMENT = [
    liked("f1", 1, counts(1, 0, 1)),
    liked("f2", 1, counts(2, 0, 2)),
    PostReplied(
        post_id="p",
        reply_id="r",
        replier_id="f3",
        author_ids=("ann", "ben"),
        counts=counts(2, 1, 3),
        replied_at=at(103),
    ),
    liked("f1", 2, counts(1, 1, 4), like=False),
    liked("f3", 1, counts(2, 1, 5)),
]


async def shared_post(events: Events) -> None:
    """ann publishes p; ben is credited later. f1 follows ann, f2 ben, f3 both."""
    await events.register("ann", "ben", "f1", "f2", "f3")
    for follower, followee in [("f1", "ann"), ("f2", "ben"), ("f3", "ann"), ("f3", "ben")]:
        await events.follow(follower, followee)
    await events.publish("p", "ann", when=10)
    await events.add_coauthor("p", "ann", "ben", when=20)


async def post_as_seen(api: TimelineApi, reader: str) -> dict[str, Any]:
    response = await api.home(reader)
    [post] = [p for p in response.json()["items"] if p["id"] == "p"]
    return post


async def insights(api: TimelineApi, viewer: str) -> Any:
    return await api.http.get("/v1/posts/p/insights", headers=identity_headers(viewer, "timeline"))


def figures(found: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    return {
        a["user"]["id"]: (
            a["audience"],
            a["exclusive_audience"],
            a["likes_from_audience"],
            a["new_followers"],
        )
        for a in found["authors"]
    }


async def test_every_engagement_event_twice_and_in_reverse_leaves_the_counts_exact(
    api: TimelineApi, events: Events
) -> None:
    await shared_post(events)
    envelopes = [make_event(data, producer="posts") for data in ENGAGEMENT]
    await events.send(*envelopes)
    # Redelivered as they were, then re-handled in reverse as if each write had crashed
    # before its event was recorded as processed.
    await events.send(*envelopes)
    for envelope in envelopes:
        await events.forget(envelope)
    await events.send(*reversed(envelopes))
    again: list[EventData | EventEnvelope] = [
        make_event(data, producer="posts") for data in reversed(ENGAGEMENT)
    ]
    await events.send(*again)

    for reader, liked_by_me in (("f1", False), ("f2", True), ("f3", True)):
        post = await post_as_seen(api, reader)
        assert (post["like_count"], post["reply_count"], post["liked_by_me"]) == (2, 1, liked_by_me)
    found = (await insights(api, "ben")).json()
    assert (found["likes"], found["replies"], found["reached"]) == (2, 1, 3)
    # ann's audience f1, f3 (f1 exclusive); ben's f2, f3 (f2 exclusive); f2 and f3 like it.
    assert figures(found) == {"ann": (2, 1, 1, 0), "ben": (2, 1, 2, 0)}


async def test_insights_follow_the_credits_and_count_follows_made_from_the_post(
    api: TimelineApi, events: Events
) -> None:
    await shared_post(events)
    await events.send(
        UserFollowed(follower_id="f9", followee_id="ben", followed_at=at(30), via_post="p"),
        UserFollowed(follower_id="f8", followee_id="ann", followed_at=at(31)),
    )
    found = (await insights(api, "ann")).json()
    # Follows after delivery are no reach: f8 and f9 are not counted as reached.
    assert found["reached"] == 3
    assert figures(found) == {"ann": (2, 1, 0, 0), "ben": (2, 1, 0, 1)}
    assert (await insights(api, "f1")).status_code == 404

    # ben leaves: ann's audience is hers alone now, f3 included; ben sees no insights.
    await events.remove_coauthor("p", "ann", "ben", when=40)
    found = (await insights(api, "ann")).json()
    assert figures(found) == {"ann": (2, 2, 0, 0)}
    assert found["reached"] == 3
    assert (await insights(api, "ben")).status_code == 404


async def test_a_follows_post_is_kept_in_its_edge_newest_event_first_whatever_the_order(
    api: TimelineApi, events: Events
) -> None:
    await shared_post(events)
    made, ended, again = (
        make_event(data, producer="users")
        for data in (
            UserFollowed(follower_id="f9", followee_id="ben", followed_at=at(30), via_post="p"),
            UserUnfollowed(follower_id="f9", followee_id="ben", unfollowed_at=at(31)),
            UserFollowed(follower_id="f9", followee_id="ben", followed_at=at(32)),
        )
    )
    # Newest first, then the older ones, then all again: the edge holds the newest state.
    await events.send(again, ended, made, again, made)
    assert figures((await insights(api, "ben")).json())["ben"][3] == 0
    edge = await api.db["follows"].find_one({"_id": "f9:ben"})
    assert edge is not None
    assert edge["active"]
    assert "via_post" not in edge

    # Made again from the post, then ended: counted while it lasts.
    await events.send(
        UserFollowed(follower_id="f9", followee_id="ben", followed_at=at(33), via_post="p")
    )
    assert figures((await insights(api, "ben")).json())["ben"][3] == 1
    await events.send(UserUnfollowed(follower_id="f9", followee_id="ben", unfollowed_at=at(34)))
    assert figures((await insights(api, "ben")).json())["ben"][3] == 0
    # No second document per follow.
    assert "follow_attributions" not in await api.db.list_collection_names()


async def test_follows_attributed_by_an_earlier_version_move_into_their_edges_at_start(
    events: Events, start_timeline: TimelineStarter
) -> None:
    async with start_timeline() as api:
        await shared_post(events)
        await events.send(
            UserFollowed(follower_id="f8", followee_id="ann", followed_at=at(30)),
            UserFollowed(follower_id="f9", followee_id="ben", followed_at=at(31)),
            UserFollowed(follower_id="f7", followee_id="ben", followed_at=at(33)),
        )
        # As an earlier version left them: each follow's post in a document of its own. f7's
        # edge is newer than its attribution (a later follow made from no post).
        await api.db["follow_attributions"].insert_many(
            [
                {"_id": "f8:ann", "active": True, "as_of": at(30), "via_post": "p"},
                {"_id": "f9:ben", "active": True, "as_of": at(31), "via_post": "p"},
                {"_id": "f7:ben", "active": True, "as_of": at(32), "via_post": "p"},
                {"_id": "f1:ann", "active": True, "as_of": at(0), "via_post": None},
            ]
        )
        await api.db[MIGRATIONS].delete_many({})

    async with start_timeline() as api:
        assert figures((await insights(api, "ann")).json()) == {
            "ann": (2, 1, 0, 1),
            "ben": (2, 1, 0, 1),
        }
        assert "follow_attributions" not in await api.db.list_collection_names()


async def test_muting_a_coauthor_takes_its_posts_out_of_the_home_timeline_until_unmuted(
    api: TimelineApi, events: Events
) -> None:
    await events.register("ann", "cy", "fan")
    await events.follow("fan", "ann")
    await events.follow("fan", "cy")
    await events.publish("solo", "ann", when=10)
    await events.publish("theirs", "cy", when=11)
    await events.publish("joint", "ann", when=12, coauthors=("cy",))
    await api.wait_for_home("fan", ["joint", "theirs", "solo"])

    await events.send(UserMuted(muter_id="fan", muted_id="cy", muted_at=at(20)))
    await api.wait_for_home("fan", ["solo"])
    first = (await api.home("fan", limit=1)).json()
    assert [p["id"] for p in first["items"]] == ["solo"]
    # An older mute arriving late changes nothing; the unmute restores the window.
    await events.send(
        UserUnmuted(muter_id="fan", muted_id="cy", unmuted_at=at(30)),
        UserMuted(muter_id="fan", muted_id="cy", muted_at=at(25)),
    )
    await api.wait_for_home("fan", ["joint", "theirs", "solo"])
    assert await api.profile_ids("cy") == ["joint", "theirs"]


async def test_a_deleted_post_leaves_no_counts_behind(api: TimelineApi, events: Events) -> None:
    await shared_post(events)
    await events.send(*(make_event(data, producer="posts") for data in ENGAGEMENT))
    await wait_until(lambda: api.db["post_cards"].find_one({"_id": "p", "counts_version": 5}))
    await events.delete_post("p", "ann", when=200)
    card = await api.db["post_cards"].find_one({"_id": "p"})
    assert card is not None
    assert card.keys().isdisjoint({"like_count", "reply_count"})
    assert await api.db["like_replica"].count_documents({"post_id": "p"}) == 0


async def test_counts_kept_apart_by_an_earlier_version_are_on_the_cards_after_a_restart(
    events: Events, start_timeline: TimelineStarter
) -> None:
    async with start_timeline() as api:
        await shared_post(events)
        await api.wait_for_home("f1", ["p"])
        # As an earlier version of the service left them: in post_counts, no migration record.
        await api.db["post_counts"].insert_one(
            {"_id": "p", "like_count": 4, "reply_count": 2, "version": 7}
        )
        await api.db[MIGRATIONS].delete_many({})

    async with start_timeline() as api:
        post = await post_as_seen(api, "f1")
        assert (post["like_count"], post["reply_count"]) == (4, 2)
        assert "post_counts" not in await api.db.list_collection_names()
        # The version came along: an older announcement changes nothing, a newer one does.
        await events.send(make_event(liked("f9", 1, counts(1, 0, 6)), producer="posts"))
        await wait_until(lambda: api.db["like_replica"].find_one({"_id": "p:f9"}))
        post = await post_as_seen(api, "f1")
        assert (post["like_count"], post["reply_count"]) == (4, 2)
        await events.send(make_event(liked("f9", 2, counts(5, 2, 8)), producer="posts"))
        await wait_until(lambda: api.db["post_cards"].find_one({"_id": "p", "counts_version": 8}))
        post = await post_as_seen(api, "f1")
        assert (post["like_count"], post["reply_count"]) == (5, 2)
