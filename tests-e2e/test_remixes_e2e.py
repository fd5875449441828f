"""Remixes through the gateway (issue 13): consent, answers, revocation in every view, removal."""

from typing import Any

from collaboration import accept_invitation, create_post, post_coauthors_become, timeline_post_ids
from conftest import E2EUser, NewUser
from test_notifications_e2e import notification, notifications_of

from shared.testing import wait_until


async def remix(remixer: E2EUser, original_id: str, text: str) -> dict[str, Any]:
    response = await remixer.client.post("/v1/posts", json={"text": text, "remix_of": original_id})
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post


async def remix_of_in(viewer: E2EUser, path: str, remix_id: str, status: str) -> dict[str, Any]:
    """Wait until the remix, as `viewer` reads it at `path` (a list), has `status`."""

    async def read() -> dict[str, Any] | None:
        items = (await viewer.client.get(path, params={"limit": 100})).json()["items"]
        found = next((p for p in items if p["id"] == remix_id), None)
        return found["remix_of"] if found and found["remix_of"]["status"] == status else None

    return await wait_until(read)


async def test_a_remix_of_a_coauthored_post_asked_approved_revoked_and_removed(
    ada: E2EUser, bob: E2EUser, cat: E2EUser, new_user: NewUser
) -> None:
    dan = await new_user("dan")
    original = await create_post(ada, "The original, by Ada and Bob", [bob])
    await accept_invitation(bob, original["id"])
    await post_coauthors_become(ada, original["id"], {bob.handle: "accepted"})
    settings = await ada.client.patch("/v1/me", json={"remix_approval": "manual"})
    assert settings.json()["remix_approval"] == "manual"
    assert (await dan.client.put(f"/v1/users/{cat.handle}/follow")).status_code == 204

    # Cat asks; the remix reaches her followers without the original.
    asked = await remix(cat, original["id"], "Cat's take")
    assert asked["remix_of"] == {"post_id": original["id"], "status": "pending", "post": None}
    await notification(ada, "remix.requested", post_id=asked["id"], actor_handle=cat.handle)
    await notification(bob, "remix.requested", post_id=asked["id"], actor_handle=cat.handle)
    await remix_of_in(dan, "/v1/timeline", asked["id"], "pending")

    # Bob, a co-author of the original, approves: every view shows the original.
    (request,) = (await bob.client.get("/v1/remix-requests")).json()["items"]
    approved = await bob.client.post(f"/v1/remix-requests/{request['id']}/approve")
    assert approved.status_code == 200, approved.text
    refused = await ada.client.post(f"/v1/remix-requests/{request['id']}/reject")
    assert refused.status_code == 409
    await notification(cat, "remix.approved", post_id=asked["id"], actor_handle=bob.handle)
    shown = await remix_of_in(dan, "/v1/timeline", asked["id"], "approved")
    assert shown["post"]["text"] == "The original, by Ada and Bob"
    assert shown["post"]["author"]["handle"] == ada.handle
    assert [c["user"]["handle"] for c in shown["post"]["coauthors"]] == [bob.handle]
    await remix_of_in(dan, f"/v1/users/{cat.handle}/posts", asked["id"], "approved")
    assert (await dan.client.get(f"/v1/posts/{original['id']}")).json()["remix_count"] == 1
    remixes = (await dan.client.get(f"/v1/posts/{original['id']}/remixes")).json()
    assert [p["id"] for p in remixes["items"]] == [asked["id"]]

    async def ada_request_withdrawn() -> bool:
        items = (await notifications_of(ada, limit=100))["items"]
        return not any(n["type"] == "remix.requested" for n in items)

    await wait_until(ada_request_withdrawn)

    # Ada revokes: within seconds no view shows the original any more.
    revoked = await ada.client.delete(f"/v1/posts/{original['id']}/remixes/{asked['id']}")
    assert revoked.status_code == 204
    gone = {"post_id": original["id"], "status": "revoked", "post": None}
    assert (await dan.client.get(f"/v1/posts/{asked['id']}")).json()["remix_of"] == gone
    assert await remix_of_in(dan, "/v1/timeline", asked["id"], "revoked") == gone
    assert await remix_of_in(ada, f"/v1/users/{cat.handle}/posts", asked["id"], "revoked") == gone
    await notification(cat, "remix.revoked", post_id=asked["id"], actor_handle=ada.handle)
    assert (await dan.client.get(f"/v1/posts/{original['id']}")).json()["remix_count"] == 0

    # Automatic approval tells the original's authors; deleting the original removes it.
    await ada.client.patch("/v1/me", json={"remix_approval": "automatic"})
    at_once = await remix(dan, original["id"], "Dan's take")
    assert at_once["remix_of"]["status"] == "approved"
    await notification(bob, "post.remixed", post_id=at_once["id"], actor_handle=dan.handle)
    assert (await ada.client.delete(f"/v1/posts/{original['id']}")).status_code == 204
    removed = await remix_of_in(dan, f"/v1/users/{dan.handle}/posts", at_once["id"], "removed")
    assert removed["post"] is None
    assert (await dan.client.get(f"/v1/posts/{asked['id']}")).json()["remix_of"] == gone
    assert asked["id"] in await timeline_post_ids(dan)


async def test_policy_and_blocks_refuse_and_a_change_leaves_earlier_remixes_alone(
    ada: E2EUser, bob: E2EUser, cat: E2EUser
) -> None:
    original = await create_post(ada, "Mine", [])
    earlier = await remix(bob, original["id"], "Before the change")
    assert (await ada.client.patch("/v1/me", json={"remix_policy": "following"})).status_code == 200
    refused = await bob.client.post("/v1/posts", json={"text": "x", "remix_of": original["id"]})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    await ada.client.put(f"/v1/users/{cat.handle}/follow")
    assert (await remix(cat, original["id"], "Followed"))["remix_of"]["status"] == "approved"
    await ada.client.put(f"/v1/users/{cat.handle}/block")
    blocked = await cat.client.post("/v1/posts", json={"text": "x", "remix_of": original["id"]})
    assert blocked.status_code == 403
    shown = (await bob.client.get(f"/v1/posts/{earlier['id']}")).json()
    assert shown["remix_of"]["status"] == "approved"
    me = (await bob.client.get("/v1/me")).json()
    assert me["features"] == {"coauthoring": True, "remix": True}
