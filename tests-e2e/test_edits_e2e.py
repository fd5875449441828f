"""Editing a shared post with every co-author's consent, and who keeps it when its author
leaves, through the gateway.

The cast: ada writes a post with bob and cat (bob accepts first); fan follows ada and likes the
post, rae replies to it. ada proposes a fix; it goes live only once both co-authors approved;
fan sees it "edited" with its history and is told once; ada chose to hand this post over, and
when she deletes her account it stays up under bob, likes and replies kept, while her other
co-authored post goes with her. Then a picture swap and an alt-text fix on another shared
post: live only once both co-authors approved, on followers' cards with the new picture and
alt text, the picture taken off gone from the media service.
"""

from typing import Any

from collaboration import accept_invitation, create_post, timeline_post_ids
from conftest import E2EUser, NewUser
from test_media_e2e import anonymous_get, uploaded

from shared.testing import wait_until


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def timeline_post(account: E2EUser, post_id: str) -> dict[str, Any] | None:
    page = (await account.client.get("/v1/timeline", params={"limit": 100})).json()
    return next((post for post in page["items"] if post["id"] == post_id), None)


async def test_a_fix_goes_live_with_both_coauthors_consent_and_the_post_outlives_its_author(
    new_user: NewUser,
) -> None:
    ada = await new_user("ada")
    bob = await new_user("bob", collab_policy="everyone")
    cat = await new_user("cat", collab_policy="everyone")
    fan = await new_user("fan")
    rae = await new_user("rae")
    await ok(await fan.client.put(f"/v1/users/{ada.handle}/follow"), 204)

    post = await create_post(ada, "Teh harbour at dusk", [bob, cat])
    other = await create_post(ada, "Another one", [bob])
    await accept_invitation(bob, post["id"])
    await accept_invitation(cat, post["id"])
    await accept_invitation(bob, other["id"])
    await wait_until(lambda: _in_home(fan, post["id"]))
    await ok(await fan.client.put(f"/v1/posts/{post['id']}/like"), 204)
    await ok(await rae.client.post(f"/v1/posts/{post['id']}/replies", json={"text": "Lovely"}), 201)

    # Strangers may not propose; the author proposes a fix.
    stranger = await fan.client.post(f"/v1/posts/{post['id']}/edits", json={"text": "mine"})
    assert stranger.status_code == 404
    edit = await ok(
        await ada.client.post(
            f"/v1/posts/{post['id']}/edits",
            json={"text": "The harbour at dusk", "base_version": 1},
        ),
        201,
    )
    assert edit["status"] == "pending"
    assert edit["previous_text"] == "Teh harbour at dusk"
    proposed = await wait_until(lambda: _notified(bob, "post.edit_proposed", post["id"]))
    assert proposed["actor"]["handle"] == ada.handle

    path = f"/v1/posts/{post['id']}/edits/{edit['id']}"
    await ok(await bob.client.post(f"{path}/approve"))
    assert (await ok(await fan.client.get(f"/v1/posts/{post['id']}")))["version"] == 1
    applied = await ok(await cat.client.post(f"{path}/approve"))
    assert applied["status"] == "applied"

    async def edited_in_fans_timeline() -> dict[str, Any] | None:
        shown = await timeline_post(fan, post["id"])
        return shown if shown and shown["version"] == 2 else None

    shown = await wait_until(edited_in_fans_timeline)
    assert shown["text"] == "The harbour at dusk"
    assert shown["edited_at"] is not None
    assert (shown["like_count"], shown["reply_count"]) == (1, 1)
    history = await ok(await fan.client.get(f"/v1/posts/{post['id']}/history"))
    assert [(v["version"], v["text"]) for v in history["items"]] == [
        (1, "Teh harbour at dusk"),
        (2, "The harbour at dusk"),
    ]
    for engaged in (fan, rae):
        await wait_until(lambda engaged=engaged: _notified(engaged, "post.edited", post["id"]))

    # ada keeps this post in bob's hands when she leaves; the other goes with her.
    await ok(
        await ada.client.put(
            f"/v1/posts/{post['id']}/succession", json={"on_author_deletion": "hand_over"}
        ),
        204,
    )
    await ok(await ada.client.delete("/v1/me"), 204)

    async def handed_to_bob() -> dict[str, Any] | None:
        found = (await fan.client.get(f"/v1/posts/{post['id']}")).json()
        return found if found.get("author", {}).get("handle") == bob.handle else None

    kept = await wait_until(handed_to_bob)
    assert [c["user"]["handle"] for c in kept["coauthors"]] == [cat.handle]
    assert (kept["text"], kept["version"]) == ("The harbour at dusk", 2)
    assert (kept["like_count"], kept["reply_count"]) == (1, 1)
    await wait_until(
        lambda: _status_is(fan, f"/v1/posts/{other['id']}", 404),
    )

    async def on_bobs_profile() -> bool:
        return post["id"] in await timeline_post_ids(fan, f"/v1/users/{bob.handle}/posts")

    await wait_until(on_bobs_profile)


async def test_a_picture_swap_and_alt_text_fix_go_live_once_both_coauthors_approve(
    new_user: NewUser, stack: str
) -> None:
    ada = await new_user("ada")
    bob = await new_user("bob", collab_policy="everyone")
    cat = await new_user("cat", collab_policy="everyone")
    fan = await new_user("fan")
    await ok(await fan.client.put(f"/v1/users/{ada.handle}/follow"), 204)
    harbour = (await uploaded(ada, "Teh harbour"))["id"]
    boat = (await uploaded(ada, "A boat"))["id"]
    post = await ok(
        await ada.client.post(
            "/v1/posts",
            json={
                "text": "At dusk",
                "coauthors": [bob.handle, cat.handle],
                "media_ids": [harbour, boat],
            },
        ),
        201,
    )
    await accept_invitation(bob, post["id"])
    await accept_invitation(cat, post["id"])
    await wait_until(lambda: _in_home(fan, post["id"]))

    # bob swaps ada's boat for his bird and fixes the harbour's alt text.
    bird = (await uploaded(bob, "A gull"))["id"]
    someone_elses = await cat.client.post(
        f"/v1/posts/{post['id']}/edits", json={"media_ids": [harbour, bird]}
    )
    assert someone_elses.status_code == 404
    edit = await ok(
        await bob.client.post(
            f"/v1/posts/{post['id']}/edits",
            json={
                "media_ids": [harbour, bird],
                "alt_texts": {harbour: "The harbour"},
                "base_version": 1,
            },
        ),
        201,
    )
    assert [(m["id"], m["alt_text"]) for m in edit["media"]] == [
        (harbour, "The harbour"),
        (bird, "A gull"),
    ]
    path = f"/v1/posts/{post['id']}/edits/{edit['id']}"
    await ok(await ada.client.post(f"{path}/approve"))
    card = await timeline_post(fan, post["id"])
    assert card is not None
    assert [(m["id"], m["alt_text"]) for m in card["media"]] == [
        (harbour, "Teh harbour"),
        (boat, "A boat"),
    ]
    assert (await ok(await cat.client.post(f"{path}/approve")))["status"] == "applied"

    async def swapped_on_fans_card() -> dict[str, Any] | None:
        shown = await timeline_post(fan, post["id"])
        return shown if shown and shown["version"] == 2 else None

    card = await wait_until(swapped_on_fans_card)
    assert [(m["id"], m["alt_text"]) for m in card["media"]] == [
        (harbour, "The harbour"),
        (bird, "A gull"),
    ]
    assert (await anonymous_get(stack, card["media"][1]["variants"]["small"])).status_code == 200
    history = await ok(await fan.client.get(f"/v1/posts/{post['id']}/history"))
    assert [[m["id"] for m in v["media"]] for v in history["items"]] == [
        [harbour, boat],
        [harbour, bird],
    ]

    async def media_followed() -> bool:
        fixed = (await ada.client.get(f"/v1/media/{harbour}")).json()
        gone = await ada.client.get(f"/v1/media/{boat}")
        return fixed.get("alt_text") == "The harbour" and gone.status_code == 404

    await wait_until(media_followed)


async def _in_home(account: E2EUser, post_id: str) -> bool:
    return post_id in await timeline_post_ids(account)


async def _status_is(account: E2EUser, path: str, status: int) -> bool:
    return (await account.client.get(path)).status_code == status


async def _notified(account: E2EUser, kind: str, post_id: str) -> dict[str, Any] | None:
    page = (await account.client.get("/v1/notifications")).json()
    return next((n for n in page["items"] if n["type"] == kind and n["post_id"] == post_id), None)
