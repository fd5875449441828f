"""Notifications through the gateway: every type, unread counts, withdrawal, the live stream."""

from typing import Any

import httpx
from collaboration import create_post, post_coauthors_become, received_invitation
from conftest import E2EUser, NewUser
from live_stream import notification_stream

from shared.testing import wait_until


async def notifications_of(account: E2EUser, **params: Any) -> dict[str, Any]:
    response = await account.client.get("/v1/notifications", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def notification(account: E2EUser, kind: str, **expected: str) -> dict[str, Any]:
    """Wait for `account`'s notification of `kind` whose fields match `expected`."""

    async def find() -> dict[str, Any] | None:
        items = (await notifications_of(account, limit=100))["items"]
        return next(
            (
                n
                for n in items
                if n["type"] == kind and all(_field(n, k) == v for k, v in expected.items())
            ),
            None,
        )

    return await wait_until(find)


def _field(notification: dict[str, Any], name: str) -> Any:
    if name == "actor_handle":
        return (notification["actor"] or {}).get("handle")
    return notification.get(name)


async def test_the_invitee_is_told_of_the_invitation_and_the_author_of_the_answers(
    ada: E2EUser, bob: E2EUser, cat: E2EUser
) -> None:
    post = await create_post(ada, "Tell everyone", [bob, cat])
    received = await notification(bob, "invitation.received", post_id=post["id"])
    assert received["actor"]["handle"] == ada.handle
    assert received["read"] is False

    bob_invitation = await received_invitation(bob, post["id"])
    cat_invitation = await received_invitation(cat, post["id"])
    assert received["invitation_id"] == bob_invitation["id"]
    await bob.client.post(f"/v1/invitations/{bob_invitation['id']}/accept")
    await cat.client.post(f"/v1/invitations/{cat_invitation['id']}/decline")

    accepted = await notification(ada, "invitation.accepted", invitation_id=bob_invitation["id"])
    declined = await notification(ada, "invitation.declined", invitation_id=cat_invitation["id"])
    assert accepted["actor"]["handle"] == bob.handle
    assert declined["actor"]["handle"] == cat.handle


async def test_leaving_tells_the_author_and_removal_tells_the_coauthor(
    ada: E2EUser, bob: E2EUser, cat: E2EUser
) -> None:
    post = await create_post(ada, "Comings and goings", [bob, cat])
    for invitee in (bob, cat):
        invitation = await received_invitation(invitee, post["id"])
        await invitee.client.post(f"/v1/invitations/{invitation['id']}/accept")
    await post_coauthors_become(ada, post["id"], {bob.handle: "accepted", cat.handle: "accepted"})

    await bob.client.delete(f"/v1/posts/{post['id']}/coauthors/{bob.handle}")
    await ada.client.delete(f"/v1/posts/{post['id']}/coauthors/{cat.handle}")

    left = await notification(ada, "coauthor.left", post_id=post["id"])
    removed = await notification(cat, "coauthor.removed", post_id=post["id"])
    assert left["actor"]["handle"] == bob.handle
    assert removed["actor"]["handle"] == ada.handle


async def test_coauthors_hear_when_a_pending_post_is_published_and_when_it_is_deleted(
    ada: E2EUser, bob: E2EUser
) -> None:
    post = await create_post(ada, "Pending first", [bob], mode="when_accepted")
    invitation = await received_invitation(bob, post["id"])
    await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")

    published = await notification(bob, "post.published", post_id=post["id"])
    assert published["actor"]["handle"] == ada.handle

    await ada.client.delete(f"/v1/posts/{post['id']}")
    deleted = await notification(bob, "post.deleted", post_id=post["id"])
    assert deleted["actor"]["handle"] == ada.handle


async def test_a_new_follower_is_announced_once_however_often_the_follow_is_repeated(
    ada: E2EUser, bob: E2EUser
) -> None:
    for _ in range(3):
        await bob.client.put(f"/v1/users/{ada.handle}/follow")

    followed = await notification(ada, "follower.new")

    assert followed["actor"]["handle"] == bob.handle
    items = (await notifications_of(ada))["items"]
    assert [n["type"] for n in items].count("follower.new") == 1


async def test_unread_counts_and_marking_read_by_id_and_all(
    ada: E2EUser, bob: E2EUser, cat: E2EUser
) -> None:
    await bob.client.put(f"/v1/users/{ada.handle}/follow")
    await cat.client.put(f"/v1/users/{ada.handle}/follow")

    async def two_unread() -> dict[str, Any] | None:
        # The list and the count are two reads: wait until both have seen both follows.
        page = await notifications_of(ada)
        return page if page["unread_count"] == len(page["items"]) == 2 else None

    page = await wait_until(two_unread)
    first = page["items"][0]["id"]

    marked = await ada.client.post("/v1/notifications/read", json={"ids": [first]})
    assert marked.json() == {"unread_count": 1}
    unread = (await notifications_of(ada, unread_only="true"))["items"]
    assert [n["id"] for n in unread] == [page["items"][1]["id"]]

    marked_all = await ada.client.post("/v1/notifications/read", json={"all": True})
    assert marked_all.json() == {"unread_count": 0}


async def test_marking_someone_elses_notification_read_changes_nothing(
    ada: E2EUser, bob: E2EUser
) -> None:
    await bob.client.put(f"/v1/users/{ada.handle}/follow")
    adas = await notification(ada, "follower.new")

    response = await bob.client.post("/v1/notifications/read", json={"ids": [adas["id"]]})

    assert response.status_code == 200
    assert (await notifications_of(ada))["unread_count"] == 1
    assert (await ada.client.post("/v1/notifications/read", json={})).status_code == 422


async def test_a_deleted_posts_invitation_notification_is_withdrawn(
    ada: E2EUser, bob: E2EUser
) -> None:
    post = await create_post(ada, "Never mind", [bob])
    await notification(bob, "invitation.received", post_id=post["id"])

    await ada.client.delete(f"/v1/posts/{post['id']}")

    async def withdrawn() -> bool:
        page = await notifications_of(bob)
        types = [n["type"] for n in page["items"] if n["post_id"] == post["id"]]
        return "invitation.received" not in types and page["unread_count"] == len(
            [n for n in page["items"] if not n["read"]]
        )

    await wait_until(withdrawn)


async def test_a_blocked_user_cannot_reach_the_blocker_with_a_notification(
    ada: E2EUser, bob: E2EUser, cat: E2EUser
) -> None:
    await ada.client.put(f"/v1/users/{bob.handle}/block")

    refused = await bob.client.put(f"/v1/users/{ada.handle}/follow")
    await cat.client.put(f"/v1/users/{ada.handle}/follow")

    assert refused.status_code == 403
    # Cat's follow, made after Bob's attempt, has arrived: Bob's would have too.
    await notification(ada, "follower.new", actor_handle=cat.handle)
    actors = [n["actor"]["handle"] for n in (await notifications_of(ada))["items"]]
    assert actors == [cat.handle]


async def test_a_stream_receives_what_another_user_causes_and_resumes_after_a_reconnect(
    stack: str, ada: E2EUser, bob: E2EUser, cat: E2EUser
) -> None:
    async with notification_stream(stack, ada.token) as stream:
        await bob.client.put(f"/v1/users/{ada.handle}/follow")
        first = await stream.next_notification(within=5)
    assert first.data["type"] == "follower.new"
    assert first.data["actor"]["handle"] == bob.handle

    # While disconnected, Cat follows; resuming from the last id delivers exactly that.
    await cat.client.put(f"/v1/users/{ada.handle}/follow")
    await wait_until(lambda: _count(ada, "follower.new", 2))
    async with notification_stream(stack, ada.token, last_event_id=first.id) as resumed:
        missed = await resumed.next_notification(within=5)
    assert missed.data["actor"]["handle"] == cat.handle


async def _count(account: E2EUser, kind: str, expected: int) -> bool:
    items = (await notifications_of(account))["items"]
    return [n["type"] for n in items].count(kind) == expected


async def test_the_stream_refuses_a_missing_or_bad_token(stack: str) -> None:
    async with httpx.AsyncClient(base_url=stack) as client:
        missing = await client.get("/v1/notifications/stream")
        forged = await client.get("/v1/notifications/stream", params={"access_token": "x.y.z"})
    assert (missing.status_code, forged.status_code) == (401, 401)


async def test_the_author_is_told_when_an_invitation_expires(
    new_user_on_expiring_stack: NewUser,
) -> None:
    ada = await new_user_on_expiring_stack("ada")
    bob = await new_user_on_expiring_stack("bob", collab_policy="everyone")
    post = await create_post(ada, "Too slow", [bob])

    expired = await notification(ada, "invitation.expired", post_id=post["id"])

    assert expired["actor"]["handle"] == bob.handle
