"""Remixes through the posts routes: consent, requests, answers, revocation, availability.

Real RabbitMQ and embedded MongoDB; the users service is the stand-in over conftest's accounts,
whose remix settings and withheld features each test sets.
"""

import asyncio
from typing import Any

import httpx
import pytest
from posts_support import Headers, Ids, created_post, get_json, invitation_accepted

from shared.testing import EligibilityStandIn, EventInjector, EventRecorder, wait_until


async def new_post(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    return await client.post("/v1/posts", json={"text": "a take", **fields}, headers=headers)


async def test_an_automatic_remix_shows_its_original_and_tells_its_authors(
    posts: httpx.AsyncClient, as_user: Headers, uid: Ids, event_recorder: EventRecorder
) -> None:
    original = await created_post(posts, as_user("alice"), text="the original")
    remix = await created_post(posts, as_user("bob"), remix_of=original["id"], coauthors=["carol"])

    assert remix["remix_of"]["status"] == "approved"
    assert remix["remix_of"]["post"]["text"] == "the original"
    assert remix["remix_of"]["post"]["author"]["handle"] == "alice"
    assert [c["user"]["handle"] for c in remix["coauthors"]] == ["carol"]
    (approved,) = await event_recorder.wait_for("post.remix_approved")
    assert approved.data["automatic"] is True
    assert approved.data["original_author_ids"] == [uid("alice")]
    (published,) = [
        e for e in event_recorder.of_type("post.published") if e.data["post_id"] == remix["id"]
    ]
    assert (published.data["remix_of_post_id"], published.data["remix_status"]) == (
        original["id"],
        "approved",
    )
    shown = await get_json(posts, f"/v1/posts/{original['id']}", as_user("dave"))
    assert shown["remix_count"] == 1
    listed = await get_json(posts, f"/v1/posts/{original['id']}/remixes", as_user("dave"))
    assert [p["id"] for p in listed["items"]] == [remix["id"]]


@pytest.mark.parametrize(
    ("policy", "approval", "followed", "outcome"),
    [
        ("everyone", "automatic", False, "approved"),
        ("everyone", "manual", False, "pending"),
        ("following", "automatic", True, "approved"),
        ("following", "manual", True, "pending"),
        ("following", "automatic", False, 403),
        ("following", "manual", False, 403),
        ("nobody", "automatic", True, 403),
        ("nobody", "manual", True, 403),
    ],
)
async def test_policy_and_approval_of_the_originals_author_decide(
    posts: httpx.AsyncClient,
    users: EligibilityStandIn,
    as_user: Headers,
    uid: Ids,
    policy: str,
    approval: Any,
    followed: bool,
    outcome: str | int,
) -> None:
    users.set_remix_policy(uid("alice"), policy, approval)
    if followed:
        users.follow(uid("alice"), uid("bob"))
    original = await created_post(posts, as_user("alice"))
    response = await new_post(posts, as_user("bob"), remix_of=original["id"])
    if isinstance(outcome, int):
        assert response.status_code == outcome
        assert response.headers["content-type"] == "application/problem+json"
        original_now = await get_json(posts, f"/v1/posts/{original['id']}", as_user("bob"))
        assert original_now["remix_count"] == 0
    else:
        assert response.status_code == 201, response.text
        remix_of = response.json()["remix_of"]
        assert remix_of["status"] == outcome
        assert (remix_of["post"] is not None) == (outcome == "approved")


async def test_a_block_with_any_author_of_the_original_refuses(
    posts: httpx.AsyncClient,
    users: EligibilityStandIn,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
    uid: Ids,
) -> None:
    original = await created_post(posts, as_user("alice"), coauthors=["carol"])
    await events.publish(await invitation_accepted(event_recorder, original["id"], uid("carol")))
    users.block(uid("dave"), uid("carol"))
    refused = await new_post(posts, as_user("dave"), remix_of=original["id"])
    assert refused.status_code == 403


async def test_what_the_remixer_may_not_see_is_404(
    posts: httpx.AsyncClient, as_user: Headers
) -> None:
    pending = await created_post(
        posts, as_user("alice"), coauthors=["carol"], publish_mode="when_accepted"
    )
    for remix_of in (pending["id"], "no-such-post"):
        assert (await new_post(posts, as_user("bob"), remix_of=remix_of)).status_code == 404
    # An invitee sees it, but a post not yet published cannot be remixed.
    assert (await new_post(posts, as_user("carol"), remix_of=pending["id"])).status_code == 422


async def manual_remix(
    posts: httpx.AsyncClient, users: EligibilityStandIn, as_user: Headers, uid: Ids
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """alice asks to approve by hand; bob remixes her post: (original, remix, request id)."""
    users.set_remix_policy(uid("alice"), "everyone", "manual")
    original = await created_post(posts, as_user("alice"), text="hers")
    remix = await created_post(posts, as_user("bob"), remix_of=original["id"])
    requests = await get_json(posts, "/v1/remix-requests", as_user("alice"))
    (request,) = requests["items"]
    assert (request["remix"]["id"], request["original"]["id"]) == (remix["id"], original["id"])
    assert request["status"] == "pending"
    return original, remix, request["id"]


async def test_a_manual_remix_waits_and_the_first_answer_stands(
    posts: httpx.AsyncClient,
    users: EligibilityStandIn,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    original, remix, request_id = await manual_remix(posts, users, as_user, uid)
    assert remix["remix_of"] == {"post_id": original["id"], "status": "pending", "post": None}
    (requested,) = await event_recorder.wait_for("post.remix_requested")
    assert requested.data["answerer_ids"] == [uid("alice")]
    # The remixer and strangers cannot answer, nor see the request.
    for stranger in ("bob", "dave"):
        assert (await get_json(posts, "/v1/remix-requests", as_user(stranger)))["items"] == []
        answer = await posts.post(
            f"/v1/remix-requests/{request_id}/approve", headers=as_user(stranger)
        )
        assert answer.status_code == 404

    approve = f"/v1/remix-requests/{request_id}/approve"
    first = await posts.post(approve, headers=as_user("alice"))
    assert first.status_code == 200
    assert first.json()["status"] == "approved"
    assert (await posts.post(approve, headers=as_user("alice"))).status_code == 200
    later = await posts.post(f"/v1/remix-requests/{request_id}/reject", headers=as_user("alice"))
    assert later.status_code == 409
    shown = await get_json(posts, f"/v1/posts/{remix['id']}", as_user("dave"))
    assert shown["remix_of"]["post"]["text"] == "hers"
    assert len(event_recorder.of_type("post.remix_approved")) == 1
    pending = await get_json(posts, "/v1/remix-requests?status=pending", as_user("alice"))
    assert pending["items"] == []


async def test_an_accepted_coauthor_answers_and_revokes_an_invitee_does_not(
    posts: httpx.AsyncClient,
    users: EligibilityStandIn,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
    uid: Ids,
) -> None:
    users.set_remix_policy(uid("alice"), "everyone", "manual")
    original = await created_post(posts, as_user("alice"), coauthors=["carol"])
    other = await created_post(posts, as_user("alice"), coauthors=["erin"])
    await events.publish(await invitation_accepted(event_recorder, original["id"], uid("carol")))
    remix = await created_post(posts, as_user("bob"), remix_of=original["id"])
    await created_post(posts, as_user("bob"), remix_of=other["id"])  # erin is only invited there
    assert (await get_json(posts, "/v1/remix-requests", as_user("erin")))["items"] == []
    (request,) = (await get_json(posts, "/v1/remix-requests", as_user("carol")))["items"]

    rejected = await posts.post(
        f"/v1/remix-requests/{request['id']}/reject", headers=as_user("carol")
    )
    assert rejected.json()["status"] == "rejected"
    again = await posts.post(
        f"/v1/remix-requests/{request['id']}/approve", headers=as_user("alice")
    )
    assert again.status_code == 409
    revoke = await posts.delete(
        f"/v1/posts/{original['id']}/remixes/{remix['id']}", headers=as_user("carol")
    )
    assert revoke.status_code == 409  # only an approved remix can be revoked


async def test_revoking_hides_the_original_and_only_its_authors_may(
    posts: httpx.AsyncClient, as_user: Headers, event_recorder: EventRecorder
) -> None:
    original = await created_post(posts, as_user("alice"))
    remix = await created_post(posts, as_user("bob"), remix_of=original["id"])
    path = f"/v1/posts/{original['id']}/remixes/{remix['id']}"
    assert (await posts.delete(path, headers=as_user("bob"))).status_code == 403
    unrelated = await created_post(posts, as_user("bob"))
    not_a_remix = f"/v1/posts/{original['id']}/remixes/{unrelated['id']}"
    assert (await posts.delete(not_a_remix, headers=as_user("alice"))).status_code == 404

    assert (await posts.delete(path, headers=as_user("alice"))).status_code == 204
    assert (await posts.delete(path, headers=as_user("alice"))).status_code == 204
    shown = await get_json(posts, f"/v1/posts/{remix['id']}", as_user("dave"))
    assert shown["remix_of"] == {"post_id": original["id"], "status": "revoked", "post": None}
    original_now = await get_json(posts, f"/v1/posts/{original['id']}", as_user("dave"))
    assert original_now["remix_count"] == 0
    listed = await get_json(posts, f"/v1/posts/{original['id']}/remixes", as_user("dave"))
    assert listed["items"] == []
    assert len(event_recorder.of_type("post.remix_revoked")) == 1


async def test_revoke_racing_approve_ends_as_one_of_the_two_orders(
    posts: httpx.AsyncClient,
    users: EligibilityStandIn,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    users.set_remix_policy(uid("alice"), "everyone", "manual")
    original = await created_post(posts, as_user("alice"))
    for _ in range(6):
        remix = await created_post(posts, as_user("bob"), remix_of=original["id"])
        (request,) = [
            r
            for r in (await get_json(posts, "/v1/remix-requests", as_user("alice")))["items"]
            if r["remix"]["id"] == remix["id"]
        ]
        approve, revoke = await asyncio.gather(
            posts.post(f"/v1/remix-requests/{request['id']}/approve", headers=as_user("alice")),
            posts.delete(
                f"/v1/posts/{original['id']}/remixes/{remix['id']}", headers=as_user("alice")
            ),
        )
        status = (await get_json(posts, f"/v1/posts/{remix['id']}", as_user("dave")))["remix_of"][
            "status"
        ]
        # approve first, then revoke; or revoke refused (nothing approved yet), then approve.
        assert (approve.status_code, revoke.status_code, status) in {
            (200, 204, "revoked"),
            (200, 409, "approved"),
        }
        remix_id = remix["id"]
        # The status reached is announced, and an approval at most once.
        await wait_until(lambda: _announced(event_recorder, remix_id, status))  # noqa: B023
        approvals = [
            e for e in _remix_events(event_recorder, remix_id) if e["status"] == "approved"
        ]
        assert len(approvals) == 1


def _remix_events(recorder: EventRecorder, remix_id: str) -> list[dict[str, Any]]:
    return [
        e.data
        for e in recorder.events
        if e.type.startswith("post.remix_") and e.data["remix_id"] == remix_id
    ]


def _announced(recorder: EventRecorder, remix_id: str, status: str) -> bool:
    return any(
        e.type.startswith("post.remix_")
        and e.data["remix_id"] == remix_id
        and e.data["status"] == status
        for e in recorder.events
    )


async def test_deleting_the_original_marks_its_remixes_removed(
    posts: httpx.AsyncClient, as_user: Headers, event_recorder: EventRecorder
) -> None:
    original = await created_post(posts, as_user("alice"))
    remix = await created_post(posts, as_user("bob"), remix_of=original["id"])
    assert (
        await posts.delete(f"/v1/posts/{original['id']}", headers=as_user("alice"))
    ).status_code == 204

    async def removed() -> bool:
        shown = await get_json(posts, f"/v1/posts/{remix['id']}", as_user("bob"))
        return bool(
            shown["remix_of"] == {"post_id": original["id"], "status": "removed", "post": None}
        )

    await wait_until(removed)
    (event,) = await event_recorder.wait_for("post.remix_removed")
    assert event.data["remix_id"] == remix["id"]


async def test_outside_a_limited_test_creating_is_403_and_what_exists_keeps_working(
    posts: httpx.AsyncClient, users: EligibilityStandIn, as_user: Headers, uid: Ids
) -> None:
    original = await created_post(posts, as_user("alice"))
    remix = await created_post(posts, as_user("bob"), remix_of=original["id"])
    together = await created_post(posts, as_user("bob"), coauthors=["carol"])
    users.withheld |= {("remix", uid("bob")), ("coauthoring", uid("bob"))}

    for response in [
        await new_post(posts, as_user("bob"), remix_of=original["id"]),
        await new_post(posts, as_user("bob"), coauthors=["dave"]),
        await posts.post(
            f"/v1/posts/{together['id']}/coauthors", json={"handle": "dave"}, headers=as_user("bob")
        ),
    ]:
        assert response.status_code == 403
        assert response.json()["type"].endswith("/feature-unavailable")
    # A plain post, what was made during the test, and taking things apart all still work.
    await created_post(posts, as_user("bob"))
    shown = await get_json(posts, f"/v1/posts/{remix['id']}", as_user("bob"))
    assert shown["remix_of"]["status"] == "approved"
    leave = await posts.delete(
        f"/v1/posts/{together['id']}/coauthors/carol", headers=as_user("carol")
    )
    assert leave.status_code == 204
    assert (
        await posts.delete(f"/v1/posts/{remix['id']}", headers=as_user("bob"))
    ).status_code == 204
