"""Likes, replies, muting and insights through the gateway (issue 12), with a co-authored post
whose two authors have audiences of their own.

The cast: ada writes the post and credits bob. f1 follows ada, f2 follows bob, f3 follows
both, mo follows ada and mutes bob; nel follows bob from the post page after it went out.
"""

from typing import Any

import pytest
from collaboration import accept_invitation, create_post, timeline_post_ids
from conftest import E2EUser, NewUser

from shared.testing import wait_until


async def follow(follower: E2EUser, followee: E2EUser, via_post: str | None = None) -> None:
    body = {"via_post": via_post} if via_post else None
    response = await follower.client.put(f"/v1/users/{followee.handle}/follow", json=body)
    assert response.status_code == 204, response.text


async def put(account: E2EUser, path: str, status: int = 204) -> None:
    response = await account.client.put(path)
    assert response.status_code == status, response.text


async def delete(account: E2EUser, path: str) -> None:
    response = await account.client.delete(path)
    assert response.status_code == 204, response.text


async def in_home(account: E2EUser, post_id: str, present: bool = True) -> None:
    async def check() -> bool:
        return (post_id in await timeline_post_ids(account)) == present

    await wait_until(check)


async def timeline_post(account: E2EUser, post_id: str) -> dict[str, Any]:
    page = (await account.client.get("/v1/timeline", params={"limit": 100})).json()
    return next(post for post in page["items"] if post["id"] == post_id)


async def post_counts_become(
    account: E2EUser, post_id: str, likes: int, replies: int
) -> dict[str, Any]:
    """Wait until the post page and the reader's home timeline both show these counts."""

    async def read() -> dict[str, Any] | None:
        post = (await account.client.get(f"/v1/posts/{post_id}")).json()
        in_timeline = await timeline_post(account, post_id)
        for shown in (post, in_timeline):
            if (shown["like_count"], shown["reply_count"]) != (likes, replies):
                return None
        return post

    return await wait_until(read)


async def like_notification(account: E2EUser, post_id: str, count: int) -> dict[str, Any]:
    async def read() -> dict[str, Any] | None:
        page = (await account.client.get("/v1/notifications", params={"limit": 100})).json()
        found = [n for n in page["items"] if n["type"] == "post.liked" and n["post_id"] == post_id]
        return found[0] if len(found) == 1 and found[0]["count"] == count else None

    return await wait_until(read)


async def notifications_of_type(account: E2EUser, kind: str) -> list[dict[str, Any]]:
    page = (await account.client.get("/v1/notifications", params={"limit": 100})).json()
    return [n for n in page["items"] if n["type"] == kind]


@pytest.fixture
async def cast(new_user: NewUser) -> dict[str, E2EUser]:
    names = ["ada", "bob", "f1", "f2", "f3", "mo", "nel"]
    people = {name: await new_user(name, collab_policy="everyone") for name in names}
    for follower, followee in [
        ("f1", "ada"),
        ("f2", "bob"),
        ("f3", "ada"),
        ("f3", "bob"),
        ("mo", "ada"),
    ]:
        await follow(people[follower], people[followee])
    return people


async def test_likes_replies_mutes_and_insights_of_a_coauthored_post(
    cast: dict[str, E2EUser],
) -> None:
    ada, bob, f1, f2, f3, mo, nel = (cast[n] for n in ["ada", "bob", "f1", "f2", "f3", "mo", "nel"])
    await put(ada, f"/v1/users/{f3.handle}/mute")  # f3 notifies ada no more
    post = await create_post(ada, "Our song", [bob])
    await accept_invitation(bob, post["id"])
    for follower in (f1, f2, f3, mo):
        await in_home(follower, post["id"])

    # Muting a co-author takes the post out of the home timeline; unmuting brings it back.
    await put(mo, f"/v1/users/{bob.handle}/mute")
    await in_home(mo, post["id"], present=False)
    await delete(mo, f"/v1/users/{bob.handle}/mute")
    await in_home(mo, post["id"])

    # Likes from both audiences, each counted once; a repeated like changes nothing.
    for liker in (f1, f2, f3, f3):
        await put(liker, f"/v1/posts/{post['id']}/like")
    reply = await f1.client.post(f"/v1/posts/{post['id']}/replies", json={"text": "Love it"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["reply_to"] == post["id"]
    seen = await post_counts_become(f3, post["id"], likes=3, replies=1)
    assert seen["liked_by_me"] is True
    assert (await timeline_post(f3, post["id"]))["liked_by_me"] is True
    assert (await timeline_post(mo, post["id"]))["liked_by_me"] is False
    likers = (await ada.client.get(f"/v1/posts/{post['id']}/likes")).json()["items"]
    assert [u["handle"] for u in likers] == [f3.handle, f2.handle, f1.handle]

    # Grouped: one post.liked per author, counting the likers; ada muted f3.
    for_ada = await like_notification(ada, post["id"], count=2)
    for_bob = await like_notification(bob, post["id"], count=3)
    assert (for_ada["actor"]["handle"], for_bob["actor"]["handle"]) == (f2.handle, f3.handle)
    for author in (ada, bob):
        replied = await wait_until(lambda a=author: notifications_of_type(a, "post.replied"))
        assert [(n["post_id"], n["actor"]["handle"]) for n in replied] == [(post["id"], f1.handle)]

    # A follow from the post page is the post's; it is no reach (delivered after the fact).
    await follow(nel, bob, via_post=post["id"])
    await in_home(nel, post["id"])

    # Insights, by hand: published to ada's followers f1, f3, mo; bob's credit reached his
    # f2 and f3. Reached 4; ada 3 (exclusive f1, mo), bob 2 (exclusive f2); likes f1, f3 from
    # ada's audience and f2, f3 from bob's; nel followed bob from the post.
    expected_authors = {
        ada.handle: (3, 2, 2, 0),
        bob.handle: (2, 1, 2, 1),
    }

    async def insights_as_expected() -> dict[str, Any] | None:
        found: dict[str, Any] = (await bob.client.get(f"/v1/posts/{post['id']}/insights")).json()
        figures = {
            a["user"]["handle"]: (
                a["audience"],
                a["exclusive_audience"],
                a["likes_from_audience"],
                a["new_followers"],
            )
            for a in found.get("authors", [])
        }
        return found if figures == expected_authors else None

    insights = await wait_until(insights_as_expected)
    assert (insights["reached"], insights["likes"], insights["replies"]) == (4, 3, 1)
    for outsider in (f1, nel):
        response = await outsider.client.get(f"/v1/posts/{post['id']}/insights")
        assert response.status_code == 404

    # Replies by an account the reader mutes are left out for that reader only.
    await put(mo, f"/v1/users/{f1.handle}/mute")
    for reader, expected in ((mo, []), (f2, [f1.handle])):
        await wait_until(lambda r=reader, e=expected: _thread_is(r, post["id"], e))

    # An unlike takes the liker out of the count and of the grouped notification.
    await delete(f2, f"/v1/posts/{post['id']}/like")
    await delete(f2, f"/v1/posts/{post['id']}/like")
    await post_counts_become(f3, post["id"], likes=2, replies=1)
    await like_notification(bob, post["id"], count=2)
    # The reply goes, and with it its count and its notification.
    await delete(f1, f"/v1/posts/{reply.json()['id']}")
    await post_counts_become(f3, post["id"], likes=2, replies=0)
    await wait_until(lambda: _no_reply_notification(ada))


async def _thread_is(reader: E2EUser, post_id: str, handles: list[str]) -> bool:
    thread = (await reader.client.get(f"/v1/posts/{post_id}/replies")).json()
    return [reply["author"]["handle"] for reply in thread["items"]] == handles


async def _no_reply_notification(account: E2EUser) -> bool:
    return not await notifications_of_type(account, "post.replied")


async def test_a_blocked_account_cannot_reply_and_its_like_is_hidden_until_unblocked(
    new_user: NewUser,
) -> None:
    ada, bob, rex = [await new_user(n, collab_policy="everyone") for n in ("ada", "bob", "rex")]
    post = await create_post(ada, "Hidden likes", [bob])
    await accept_invitation(bob, post["id"])
    await put(rex, f"/v1/posts/{post['id']}/like")
    await post_counts_on_page(ada, post["id"], likes=1)

    await put(bob, f"/v1/users/{rex.handle}/block")

    async def reply_refused() -> bool:
        response = await rex.client.post(f"/v1/posts/{post['id']}/replies", json={"text": "hi"})
        assert response.status_code in (201, 403), response.text
        if response.status_code == 201:  # the block had not reached posts yet: undo, retry
            await rex.client.delete(f"/v1/posts/{response.json()['id']}")
        return response.status_code == 403

    await wait_until(reply_refused)
    await post_counts_on_page(ada, post["id"], likes=0)
    likers = (await ada.client.get(f"/v1/posts/{post['id']}/likes")).json()["items"]
    assert likers == []

    await delete(bob, f"/v1/users/{rex.handle}/block")
    await post_counts_on_page(ada, post["id"], likes=1)


async def post_counts_on_page(account: E2EUser, post_id: str, likes: int) -> None:
    async def read() -> bool:
        post = (await account.client.get(f"/v1/posts/{post_id}")).json()
        return bool(post["like_count"] == likes)

    await wait_until(read)


async def test_bad_engagement_requests_are_4xx_and_change_nothing(new_user: NewUser) -> None:
    ada, eve = await new_user("ada"), await new_user("eve")
    post = await create_post(ada, "Hello", [])
    missing = "0" * 32
    assert (await eve.client.put(f"/v1/posts/{missing}/like")).status_code == 404
    assert (await eve.client.get(f"/v1/posts/{missing}/replies")).status_code == 404
    empty = await eve.client.post(f"/v1/posts/{post['id']}/replies", json={"text": "  "})
    assert empty.status_code == 422
    extra = await eve.client.post(f"/v1/posts/{post['id']}/replies", json={"text": "a", "x": 1})
    assert extra.status_code == 422
    forged = await eve.client.get(f"/v1/posts/{post['id']}/likes", params={"cursor": "!!"})
    assert forged.status_code == 400
    assert (await eve.client.put(f"/v1/users/{eve.handle}/mute")).status_code == 422
    page = (await ada.client.get(f"/v1/posts/{post['id']}")).json()
    assert (page["like_count"], page["reply_count"], page["liked_by_me"]) == (0, 0, False)


async def test_replies_are_grouped_per_post_and_notifications_preview_what_they_are_about(
    new_user: NewUser,
) -> None:
    ada = await new_user("ada")
    fans = [await new_user(f"fan{i}") for i in range(3)]
    post = await create_post(ada, "A new song, out today", [])
    for index, fan in enumerate(fans):
        answered = await fan.client.post(
            f"/v1/posts/{post['id']}/replies", json={"text": f"Reply number {index}"}
        )
        assert answered.status_code == 201, answered.text
    await put(fans[0], f"/v1/posts/{post['id']}/like")

    async def grouped() -> dict[str, Any] | None:
        replied = await notifications_of_type(ada, "post.replied")
        return replied[0] if len(replied) == 1 and replied[0]["count"] == 3 else None

    group = await wait_until(grouped)
    assert (group["post_id"], group["actor"]["handle"]) == (post["id"], fans[2].handle)
    assert group["preview"] == "Reply number 2"
    liked = await like_notification(ada, post["id"], count=1)
    assert liked["preview"] == "A new song, out today"
    unread = (await ada.client.get("/v1/notifications", params={"unread_only": True})).json()
    assert unread["unread_count"] == 2
