"""The posts routes against real RabbitMQ and embedded MongoDB, users answered by a stand-in."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from posts_support import Headers, Ids

from shared.mongo import Database
from shared.testing import EventRecorder


async def create_post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    coauthors: list[str | dict[str, str]] | None = None,
    mode: str = "now",
    text: str = "made together",
) -> dict[str, Any]:
    response = await client.post(
        "/v1/posts",
        json={"text": text, "coauthors": coauthors or [], "publish_mode": mode},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post


def of_post(recorder: EventRecorder, event_type: str, post_id: str) -> list[dict[str, Any]]:
    return [e.data for e in recorder.of_type(event_type) if e.data["post_id"] == post_id]


async def test_post_published_now_announces_its_creation_with_invitations_and_publication(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, event_recorder: EventRecorder
) -> None:
    post = await create_post(client, as_user("alice"), coauthors=["bob", "Carol"])

    assert post["status"] == "published"
    assert post["publish_mode"] == "now"
    assert post["text"] == "made together"
    assert post["published_at"] is not None
    assert post["author"] == {
        "id": uid("alice"),
        "handle": "alice",
        "display_name": "Alice",
        "created_at": "2025-01-01T00:00:00Z",
        "avatar": None,
    }
    assert [(c["user"]["handle"], c["status"]) for c in post["coauthors"]] == [
        ("bob", "invited"),
        ("carol", "invited"),
    ]
    (created,) = await event_recorder.wait_for("post.created")
    assert created.producer == "posts"
    assert created.data["post_id"] == post["id"]
    assert [i["invitee_id"] for i in created.data["invitations"]] == [uid("bob"), uid("carol")]
    assert len({i["invitation_id"] for i in created.data["invitations"]}) == 2
    (published,) = await event_recorder.wait_for("post.published")
    assert published.data["coauthor_ids"] == []


async def test_coauthors_given_with_a_credit_carry_it_in_the_post_and_its_events(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, event_recorder: EventRecorder
) -> None:
    post = await create_post(
        client, as_user("alice"), coauthors=[{"handle": "bob", "credit": " Photo "}, "carol"]
    )

    assert [(c["user"]["handle"], c["credit"]) for c in post["coauthors"]] == [
        ("bob", "Photo"),
        ("carol", None),
    ]
    (created,) = await event_recorder.wait_for("post.created")
    assert [i["credit"] for i in created.data["invitations"]] == ["Photo", None]
    invited = await client.post(
        f"/v1/posts/{post['id']}/coauthors",
        json={"handle": "dave", "credit": "music"},
        headers=as_user("alice"),
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["credit"] == "music"
    (announced,) = await event_recorder.wait_for("post.coauthor_invited")
    assert (announced.data["credit"], announced.data["post_text"]) == ("music", "made together")
    shown = (await client.get(f"/v1/posts/{post['id']}", headers=as_user("alice"))).json()
    assert [c["credit"] for c in shown["coauthors"]] == ["Photo", None, "music"]


async def test_an_invitation_with_only_fillers_as_credit_is_unprocessable(
    client: httpx.AsyncClient, as_user: Headers
) -> None:
    post = await create_post(client, as_user("alice"))
    response = await client.post(
        f"/v1/posts/{post['id']}/coauthors",
        json={"handle": "bob", "credit": "\u3164\u2800"},
        headers=as_user("alice"),
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_when_accepted_post_stays_pending_and_is_only_created(
    client: httpx.AsyncClient, as_user: Headers, event_recorder: EventRecorder
) -> None:
    post = await create_post(client, as_user("alice"), coauthors=["bob"], mode="when_accepted")

    assert post["status"] == "pending"
    assert post["published_at"] is None
    await event_recorder.wait_for("post.created")
    assert event_recorder.of_type("post.published") == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": ""}, 422),
        ({"text": "  "}, 422),
        ({"text": "x" * 501}, 422),
        ({"text": "\u0000"}, 422),
        ({"text": "ring the \u0007 bell"}, 422),
        ({"text": "hi", "coauthors": ["nobody_here"]}, 422),
        ({"text": "hi", "coauthors": ["alice"]}, 422),
        ({"text": "hi", "coauthors": ["bob", "BOB"]}, 422),
        ({"text": "hi", "coauthors": ["bob", "carol", "dave", "erin", "frank", "gina"]}, 422),
        ({"text": "hi", "publish_mode": "later"}, 422),
        ({"text": "hi", "coauthors": [{"handle": "bob", "credit": "\u3164"}]}, 422),
        ({"text": "hi", "coauthors": [{"handle": "bob", "credit": "x" * 31}]}, 422),
        ({"text": "hi", "coauthors": [{"handle": "bob", "role": "photo"}]}, 422),
        ({"coauthors": []}, 422),
        ({"text": "hi", "coauthors": ["grumpy"]}, 403),
        ({"text": "hi", "coauthors": ["hermit"]}, 403),
        ({"text": "hi", "coauthors": ["picky"]}, 403),
    ],
)
async def test_creating_a_post_is_refused_by_the_rules(
    start_posts: Any, as_user: Headers, body: dict[str, Any], status: int
) -> None:
    async with start_posts() as client:
        response = await client.post("/v1/posts", json=body, headers=as_user("alice"))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


async def test_invitee_whose_policy_follows_the_author_may_be_invited(
    client: httpx.AsyncClient, as_user: Headers
) -> None:
    post = await create_post(client, as_user("alice"), coauthors=["fan"])
    assert post["coauthors"][0]["user"]["handle"] == "fan"


async def test_text_keeps_its_line_breaks_and_tabs(
    client: httpx.AsyncClient, as_user: Headers
) -> None:
    post = await create_post(client, as_user("alice"), text="one\r\ntwo\tthree")
    assert post["text"] == "one\r\ntwo\tthree"


async def test_a_body_naming_the_author_or_the_status_is_refused_with_nothing_created(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, event_recorder: EventRecorder
) -> None:
    body = {"text": "hi", "author_id": uid("bob"), "status": "published", "publish_mode": "now"}
    response = await client.post("/v1/posts", json=body, headers=as_user("alice"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert sorted(error["loc"][-1] for error in response.json()["errors"]) == [
        "author_id",
        "status",
    ]
    # Nothing was written: the next post is the first event the recorder sees.
    post = await create_post(client, as_user("alice"))
    first, *_ = await event_recorder.wait_for("post.created")
    assert first.data["post_id"] == post["id"]


async def test_an_invite_with_an_unknown_field_is_refused(
    client: httpx.AsyncClient, as_user: Headers
) -> None:
    post = await create_post(client, as_user("alice"))
    response = await client.post(
        f"/v1/posts/{post['id']}/coauthors",
        json={"handle": "bob", "status": "accepted"},
        headers=as_user("alice"),
    )
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["errors"]] == ["status"]


async def test_requests_without_the_gateway_identity_are_unauthorized(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/posts", json={"text": "hi"})
    assert response.status_code == 401


async def test_pending_post_is_seen_only_by_author_and_invitees_and_deleted_by_no_one(
    client: httpx.AsyncClient, as_user: Headers
) -> None:
    post = await create_post(client, as_user("alice"), coauthors=["bob"], mode="when_accepted")
    path = f"/v1/posts/{post['id']}"

    for handle, status in [("alice", 200), ("bob", 200), ("carol", 404)]:
        assert (await client.get(path, headers=as_user(handle))).status_code == status
    assert (await client.delete(path, headers=as_user("carol"))).status_code == 404
    assert (await client.delete(path, headers=as_user("bob"))).status_code == 403
    assert (await client.delete(path, headers=as_user("alice"))).status_code == 204
    for handle in ["alice", "bob", "carol"]:
        assert (await client.get(path, headers=as_user(handle))).status_code == 404
    assert (await client.delete(path, headers=as_user("alice"))).status_code == 404
    assert (await client.get("/v1/posts/unknown", headers=as_user("alice"))).status_code == 404


async def test_deleting_a_post_announces_it_with_its_credited_coauthors(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, event_recorder: EventRecorder
) -> None:
    post = await create_post(client, as_user("alice"), coauthors=["bob"])
    path = f"/v1/posts/{post['id']}"
    assert (await client.delete(path, headers=as_user("carol"))).status_code == 403

    assert (await client.delete(path, headers=as_user("alice"))).status_code == 204

    (deleted,) = await event_recorder.wait_for("post.deleted")
    assert deleted.data["post_id"] == post["id"]
    assert deleted.data["author_id"] == uid("alice")
    assert deleted.data["coauthor_ids"] == []  # bob was only invited


async def test_author_publishes_a_pending_post_early_once(
    client: httpx.AsyncClient, as_user: Headers, event_recorder: EventRecorder
) -> None:
    post = await create_post(client, as_user("alice"), coauthors=["bob"], mode="when_accepted")
    path = f"/v1/posts/{post['id']}/publish"
    assert (await client.post(path, headers=as_user("bob"))).status_code == 403
    assert (await client.post(path, headers=as_user("carol"))).status_code == 404

    first = await client.post(path, headers=as_user("alice"))
    again = await client.post(path, headers=as_user("alice"))

    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "published"
    assert first.json()["coauthors"] == again.json()["coauthors"]
    assert first.json()["coauthors"][0]["status"] == "invited"
    assert again.json()["published_at"] == first.json()["published_at"]
    await event_recorder.wait_for("post.published")
    assert len(of_post(event_recorder, "post.published", post["id"])) == 1


async def test_author_invites_a_coauthor_and_gets_the_invitation(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, event_recorder: EventRecorder
) -> None:
    post = await create_post(client, as_user("alice"))
    path = f"/v1/posts/{post['id']}/coauthors"

    response = await client.post(path, json={"handle": "Bob"}, headers=as_user("alice"))

    assert response.status_code == 201
    invitation = response.json()
    assert set(invitation) == {
        "id",
        "post_id",
        "inviter",
        "invitee",
        "status",
        "created_at",
        "expires_at",
        "responded_at",
        "credit",
        "post_text",
        "post_media",
    }
    assert (invitation["credit"], invitation["post_text"]) == (None, post["text"])
    assert invitation["post_media"] == []
    assert invitation["post_id"] == post["id"]
    assert invitation["inviter"]["id"] == uid("alice")
    assert invitation["invitee"]["handle"] == "bob"
    assert invitation["status"] == "pending"
    assert invitation["responded_at"] is None
    (invited,) = await event_recorder.wait_for("post.coauthor_invited")
    assert invited.data["invitation_id"] == invitation["id"]
    assert invited.data["invitee_id"] == uid("bob")
    shown = (await client.get(f"/v1/posts/{post['id']}", headers=as_user("carol"))).json()
    assert [(c["user"]["handle"], c["status"]) for c in shown["coauthors"]] == [("bob", "invited")]


@pytest.mark.parametrize(
    ("actor", "handle", "status"),
    [
        ("alice", "bob", 422),  # already invited
        ("alice", "alice", 422),
        ("alice", "nobody_here", 422),
        ("alice", "x", 422),
        ("alice", "grumpy", 403),
        ("bob", "carol", 403),  # only the author invites
        ("carol", "dave", 403),
    ],
)
async def test_inviting_is_refused_by_the_rules(
    start_posts: Any, as_user: Headers, actor: str, handle: str, status: int
) -> None:
    async with start_posts() as client:
        post = await create_post(client, as_user("alice"), coauthors=["bob"])
        response = await client.post(
            f"/v1/posts/{post['id']}/coauthors", json={"handle": handle}, headers=as_user(actor)
        )
    assert response.status_code == status, response.text


async def test_a_sixth_coauthor_is_refused(client: httpx.AsyncClient, as_user: Headers) -> None:
    five = ["bob", "carol", "dave", "erin", "frank"]
    post = await create_post(client, as_user("alice"), coauthors=five)
    response = await client.post(
        f"/v1/posts/{post['id']}/coauthors", json={"handle": "gina"}, headers=as_user("alice")
    )
    assert response.status_code == 422


async def test_invites_beyond_the_hourly_limit_are_rate_limited(
    start_posts: Any, as_user: Headers
) -> None:
    async with start_posts(invites_per_hour=3) as client:
        post = await create_post(client, as_user("alice"), coauthors=["bob", "carol"])
        path = f"/v1/posts/{post['id']}/coauthors"
        third = await client.post(path, json={"handle": "dave"}, headers=as_user("alice"))
        fourth = await client.post(path, json={"handle": "erin"}, headers=as_user("alice"))
        too_many = await client.post(
            "/v1/posts", json={"text": "hi", "coauthors": ["frank"]}, headers=as_user("alice")
        )
        someone_else = await client.post(
            "/v1/posts", json={"text": "hi", "coauthors": ["frank"]}, headers=as_user("bob")
        )

    assert third.status_code == 201
    assert fourth.status_code == too_many.status_code == 429
    assert fourth.headers["content-type"] == "application/problem+json"
    assert 1 <= int(fourth.headers["Retry-After"]) <= 3601
    assert someone_else.status_code == 201


async def test_removing_leaving_revoking_and_declining_announce_their_reason(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, event_recorder: EventRecorder
) -> None:
    # Everyone still invited: the credited cases are covered with acceptances in the events tests.
    post = await create_post(client, as_user("alice"), coauthors=["bob", "carol", "dave"])
    path = f"/v1/posts/{post['id']}/coauthors"

    outcomes = [
        await client.delete(f"{path}/bob", headers=as_user("carol")),
        await client.delete(f"{path}/erin", headers=as_user("alice")),
        await client.delete(f"{path}/BOB", headers=as_user("alice")),
        await client.delete(f"{path}/carol", headers=as_user("carol")),
        # Declining again: already off the post, nothing more to do.
        await client.delete(f"{path}/carol", headers=as_user("carol")),
        # Erin was never on the post: there is nothing to leave.
        await client.delete(f"{path}/erin", headers=as_user("erin")),
    ]

    assert [r.status_code for r in outcomes] == [403, 404, 204, 204, 204, 404]
    removed = await event_recorder.wait_for("post.coauthor_removed", count=2)
    assert [(e.data["coauthor_id"], e.data["reason"], e.data["was_credited"]) for e in removed] == [
        (uid("bob"), "revoked", False),
        (uid("carol"), "declined", False),
    ]
    # Each removal names the invitation it ends, so invitations closes exactly that one.
    invitations = {
        i["invitee_id"]: i["invitation_id"]
        for i in of_post(event_recorder, "post.created", post["id"])[0]["invitations"]
    }
    assert [e.data["invitation_id"] for e in removed] == [
        invitations[uid("bob")],
        invitations[uid("carol")],
    ]
    shown = (await client.get(f"/v1/posts/{post['id']}", headers=as_user("alice"))).json()
    assert [c["user"]["handle"] for c in shown["coauthors"]] == ["dave"]


async def test_an_invitation_expires_after_a_fractional_ttl(
    start_posts: Any, as_user: Headers
) -> None:
    async with start_posts(invitation_ttl_seconds=1.5) as client:
        post = await create_post(client, as_user("alice"))
        response = await client.post(
            f"/v1/posts/{post['id']}/coauthors", json={"handle": "bob"}, headers=as_user("alice")
        )

    invitation = response.json()
    created_at = datetime.fromisoformat(invitation["created_at"])
    expires_at = datetime.fromisoformat(invitation["expires_at"])
    assert expires_at - created_at == timedelta(seconds=1.5)


async def test_inviting_and_revoking_again_and_again_does_not_grow_the_post_document(
    client: httpx.AsyncClient, as_user: Headers, uid: Ids, posts_db: Database
) -> None:
    """The review's finding: each invite pushed a copy of the invitee's profile onto the
    post, toward MongoDB's 16 MB document limit."""
    post = await create_post(client, as_user("alice"), coauthors=["carol"])
    coauthors = f"/v1/posts/{post['id']}/coauthors"
    for _ in range(10):
        invited = await client.post(coauthors, json={"handle": "bob"}, headers=as_user("alice"))
        assert invited.status_code == 201, invited.text
        revoked = await client.delete(f"{coauthors}/bob", headers=as_user("alice"))
        assert revoked.status_code == 204

    stored = await posts_db["posts"].find_one({"_id": post["id"]})
    assert stored is not None
    assert sorted(s["id"] for s in stored["user_snapshots"]) == sorted([uid("alice"), uid("carol")])
    assert stored["former_coauthor_ids"] == [uid("bob")]


async def test_a_post_refuses_invitations_past_its_bound_on_accounts_invited(
    start_posts: Any, as_user: Headers
) -> None:
    async with start_posts(max_invitations_per_post=2) as client:
        post = await create_post(client, as_user("alice"), coauthors=["bob"])
        coauthors = f"/v1/posts/{post['id']}/coauthors"
        await client.delete(f"{coauthors}/bob", headers=as_user("alice"))
        second = await client.post(coauthors, json={"handle": "carol"}, headers=as_user("alice"))
        await client.delete(f"{coauthors}/carol", headers=as_user("alice"))
        third = await client.post(coauthors, json={"handle": "dave"}, headers=as_user("alice"))

    assert second.status_code == 201
    assert third.status_code == 422
    assert third.headers["content-type"] == "application/problem+json"
