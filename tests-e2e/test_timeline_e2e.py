"""Timelines through the gateway: one post reaches every co-author's audience, once each."""

import pytest
from collaboration import (
    accept_invitation,
    create_post,
    home_timeline_becomes,
    post_coauthors_become,
    profile_becomes,
    timeline_post_ids,
)
from conftest import CELEBRITY_FOLLOWER_THRESHOLD, E2EUser, NewUser

from shared.testing import wait_until


async def follow(follower: E2EUser, *followees: E2EUser) -> None:
    for followee in followees:
        response = await follower.client.put(f"/v1/users/{followee.handle}/follow")
        assert response.status_code == 204, response.text


@pytest.fixture
async def audiences(new_user: NewUser, ada: E2EUser, bob: E2EUser) -> dict[str, E2EUser]:
    """Followers of Ada only, of Bob only, of both, and of neither."""
    readers = {name: await new_user(name) for name in ("of_ada", "of_bob", "of_both", "no_one")}
    await follow(readers["of_ada"], ada)
    await follow(readers["of_bob"], bob)
    await follow(readers["of_both"], ada, bob)
    return readers


@pytest.fixture
async def coauthored(ada: E2EUser, bob: E2EUser, audiences: dict[str, E2EUser]) -> str:
    """A post by Ada that Bob accepted, once every audience shows it."""
    post = await create_post(ada, "Ada and Bob, together", [bob])
    await accept_invitation(bob, post["id"])
    for name in ("of_ada", "of_bob", "of_both"):
        await home_timeline_becomes(audiences[name], [post["id"]])
    return str(post["id"])


async def test_a_coauthored_post_reaches_both_audiences_once_each(
    ada: E2EUser, bob: E2EUser, audiences: dict[str, E2EUser]
) -> None:
    post = await create_post(ada, "Ada and Bob, together", [bob])
    await home_timeline_becomes(audiences["of_ada"], [post["id"]])
    assert await timeline_post_ids(audiences["of_bob"]) == []

    await accept_invitation(bob, post["id"])

    await home_timeline_becomes(audiences["of_bob"], [post["id"]])
    await home_timeline_becomes(audiences["of_both"], [post["id"]])
    assert await timeline_post_ids(audiences["no_one"]) == []
    card = (await audiences["of_bob"].client.get("/v1/timeline")).json()["items"][0]
    assert card["author"]["handle"] == ada.handle
    assert [(c["user"]["handle"], c["status"]) for c in card["coauthors"]] == [
        (bob.handle, "accepted")
    ]
    await profile_becomes(audiences["no_one"], bob, [post["id"]])
    await profile_becomes(audiences["no_one"], ada, [post["id"]])


async def test_a_coauthor_leaving_takes_the_post_from_those_who_saw_it_only_through_them(
    ada: E2EUser, bob: E2EUser, audiences: dict[str, E2EUser], coauthored: str
) -> None:
    await bob.client.delete(f"/v1/posts/{coauthored}/coauthors/{bob.handle}")

    await home_timeline_becomes(audiences["of_bob"], [])
    await profile_becomes(audiences["no_one"], bob, [])
    assert await timeline_post_ids(audiences["of_both"]) == [coauthored]
    assert await timeline_post_ids(audiences["of_ada"]) == [coauthored]


async def test_removing_a_coauthor_does_the_same(
    ada: E2EUser, bob: E2EUser, audiences: dict[str, E2EUser], coauthored: str
) -> None:
    await ada.client.delete(f"/v1/posts/{coauthored}/coauthors/{bob.handle}")

    await home_timeline_becomes(audiences["of_bob"], [])
    assert await timeline_post_ids(audiences["of_both"]) == [coauthored]


async def test_a_deleted_post_disappears_everywhere(
    ada: E2EUser, bob: E2EUser, audiences: dict[str, E2EUser], coauthored: str
) -> None:
    await ada.client.delete(f"/v1/posts/{coauthored}")

    for name in ("of_ada", "of_bob", "of_both"):
        await home_timeline_becomes(audiences[name], [])
    await profile_becomes(audiences["no_one"], ada, [])
    await profile_becomes(audiences["no_one"], bob, [])


async def test_unfollowing_keeps_a_post_another_followed_author_credits(
    ada: E2EUser, bob: E2EUser, audiences: dict[str, E2EUser], coauthored: str
) -> None:
    await audiences["of_both"].client.delete(f"/v1/users/{ada.handle}/follow")
    await audiences["of_ada"].client.delete(f"/v1/users/{ada.handle}/follow")

    await home_timeline_becomes(audiences["of_ada"], [])
    assert await timeline_post_ids(audiences["of_both"]) == [coauthored]


async def test_a_block_purges_the_blockers_posts_from_the_blocked_timeline(
    ada: E2EUser, audiences: dict[str, E2EUser], coauthored: str
) -> None:
    await ada.client.put(f"/v1/users/{audiences['of_ada'].handle}/block")

    await home_timeline_becomes(audiences["of_ada"], [])


async def test_a_deleted_account_takes_its_posts_out_of_every_timeline(
    ada: E2EUser, audiences: dict[str, E2EUser], coauthored: str
) -> None:
    await ada.client.delete("/v1/me")

    for name in ("of_ada", "of_bob", "of_both"):
        await home_timeline_becomes(audiences[name], [])


async def test_a_new_follow_backfills_recent_posts_newest_first(
    new_user: NewUser, ada: E2EUser
) -> None:
    posts = [(await create_post(ada, f"post {n}", []))["id"] for n in range(3)]
    await profile_becomes(ada, ada, list(reversed(posts)))
    reader = await new_user("reader")

    await follow(reader, ada)

    await home_timeline_becomes(reader, list(reversed(posts)))


async def test_pending_posts_stay_off_timelines_until_published(
    ada: E2EUser, bob: E2EUser, audiences: dict[str, E2EUser]
) -> None:
    post = await create_post(ada, "Not yet", [bob], mode="when_accepted")
    public = await create_post(ada, "Meanwhile", [])
    await home_timeline_becomes(audiences["of_ada"], [public["id"]])

    await accept_invitation(bob, post["id"])

    await home_timeline_becomes(audiences["of_ada"], [post["id"], public["id"]])
    await home_timeline_becomes(audiences["of_bob"], [post["id"]])


async def test_pages_are_stable_while_new_posts_arrive(new_user: NewUser, ada: E2EUser) -> None:
    reader = await new_user("reader")
    await follow(reader, ada)
    posts = [(await create_post(ada, f"post {n}", []))["id"] for n in range(25)]
    newest_first = list(reversed(posts))
    await home_timeline_becomes(reader, newest_first)

    seen: list[str] = []
    page = (await reader.client.get("/v1/timeline", params={"limit": 10})).json()
    seen += [p["id"] for p in page["items"]]
    newer = await create_post(ada, "arrives mid-scroll", [])
    await wait_until(lambda: _first_id_is(reader, newer["id"]))
    while page["next_cursor"]:
        page = (
            await reader.client.get(
                "/v1/timeline", params={"limit": 10, "cursor": page["next_cursor"]}
            )
        ).json()
        seen += [p["id"] for p in page["items"]]

    assert seen == newest_first
    bad = await reader.client.get("/v1/timeline", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400


async def _first_id_is(reader: E2EUser, post_id: str) -> bool:
    items = (await reader.client.get("/v1/timeline", params={"limit": 1})).json()["items"]
    return bool(items) and items[0]["id"] == post_id


async def test_a_celebritys_posts_are_merged_in_at_read_time(
    new_user: NewUser, bob: E2EUser
) -> None:
    star = await new_user("star")
    fans = [await new_user(f"fan{n}") for n in range(CELEBRITY_FOLLOWER_THRESHOLD + 1)]
    for fan in fans:
        await follow(fan, star, bob)
    own = await create_post(bob, "from a regular account", [])
    await home_timeline_becomes(fans[0], [own["id"]])

    starred = await create_post(star, "to my many fans", [])

    for fan in (fans[0], fans[-1]):
        await home_timeline_becomes(fan, [starred["id"], own["id"]])


async def test_a_celebrity_who_falls_below_the_threshold_stays_on_timelines(
    new_user: NewUser,
) -> None:
    star = await new_user("star")
    fans = [await new_user(f"fan{n}") for n in range(CELEBRITY_FOLLOWER_THRESHOLD + 1)]
    for fan in fans:
        await follow(fan, star)
    starred = await create_post(star, "while famous", [])
    await home_timeline_becomes(fans[0], [starred["id"]])

    await fans[-1].client.delete(f"/v1/users/{star.handle}/follow")

    await home_timeline_becomes(fans[-1], [])
    for fan in fans[:-1]:
        await home_timeline_becomes(fan, [starred["id"]])
    later = await create_post(star, "back among us", [])
    await home_timeline_becomes(fans[0], [later["id"], starred["id"]])


async def test_a_block_purges_a_post_the_blocked_user_saw_only_through_a_coauthor(
    ada: E2EUser, audiences: dict[str, E2EUser], coauthored: str
) -> None:
    await ada.client.put(f"/v1/users/{audiences['of_bob'].handle}/block")

    await home_timeline_becomes(audiences["of_bob"], [])
    assert await timeline_post_ids(audiences["of_both"]) == [coauthored]


async def test_a_post_card_follows_its_credits(
    ada: E2EUser, bob: E2EUser, audiences: dict[str, E2EUser], coauthored: str
) -> None:
    await post_coauthors_become(audiences["of_ada"], coauthored, {bob.handle: "accepted"})
    await bob.client.delete(f"/v1/posts/{coauthored}/coauthors/{bob.handle}")

    async def card_without_bob() -> bool:
        items = (await audiences["of_ada"].client.get("/v1/timeline")).json()["items"]
        return bool(items) and items[0]["coauthors"] == []

    await wait_until(card_without_bob)
