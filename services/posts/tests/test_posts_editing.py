"""Edits through the posts routes: proposals, answers, withdrawal, expiry, races, history.

Real RabbitMQ and embedded MongoDB; co-authors are credited by the invitation.accepted the
invitations service would send.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from posts_support import Headers, Ids, PostsServiceStarter, invitation_accepted

from shared.events.media import MediaAltTextChanged
from shared.public_media import AttachedMedia
from shared.testing import EventInjector, EventRecorder, MediaStandIn, wait_until


async def shared_post(
    posts: httpx.AsyncClient,
    events: EventInjector,
    recorder: EventRecorder,
    headers: dict[str, str],
    coauthor_ids: list[str],
    coauthors: list[str],
    **body: Any,
) -> dict[str, Any]:
    """A post by the caller that every one of `coauthors` accepted (`body`: more of it)."""
    response = await posts.post(
        "/v1/posts",
        json={"text": "teh draft", "coauthors": coauthors, **body},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    await events.publish(
        *[
            await invitation_accepted(recorder, post["id"], coauthor_id)
            for coauthor_id in coauthor_ids
        ]
    )
    return post


@pytest.fixture
async def post(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
    uid: Ids,
) -> dict[str, Any]:
    return await shared_post(
        client,
        events,
        event_recorder,
        as_user("alice"),
        [uid("bob"), uid("carol")],
        ["bob", "carol"],
    )


async def propose(
    client: httpx.AsyncClient, post_id: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/posts/{post_id}/edits", json={"text": "the draft", **body}, headers=headers
    )


async def text_of(client: httpx.AsyncClient, post_id: str, headers: dict[str, str]) -> Any:
    return (await client.get(f"/v1/posts/{post_id}", headers=headers)).json()


async def test_an_edit_of_a_solo_post_applies_at_once(
    client: httpx.AsyncClient, as_user: Headers, event_recorder: EventRecorder
) -> None:
    created = await client.post("/v1/posts", json={"text": "teh"}, headers=as_user("dave"))
    post_id = created.json()["id"]
    assert created.json()["version"] == 1
    response = await propose(client, post_id, as_user("dave"), text="the", base_version=1)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "applied"
    shown = await text_of(client, post_id, as_user("erin"))
    assert (shown["text"], shown["version"]) == ("the", 2)
    assert shown["edited_at"] is not None
    history = (await client.get(f"/v1/posts/{post_id}/history", headers=as_user("erin"))).json()
    assert [(v["version"], v["text"]) for v in history["items"]] == [(1, "teh"), (2, "the")]
    (edited,) = await wait_until(
        lambda: [e for e in event_recorder.of_type("post.edited") if e.data["post_id"] == post_id]
    )
    assert edited.data["version"] == 2


async def test_a_shared_post_changes_only_when_every_coauthor_approves(
    client: httpx.AsyncClient,
    post: dict[str, Any],
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    proposed = await propose(client, post["id"], as_user("alice"))
    assert proposed.status_code == 201, proposed.text
    edit = proposed.json()
    assert edit["status"] == "pending"
    assert edit["previous_text"] == "teh draft"
    assert [(a["user"]["handle"], a["state"]) for a in edit["approvals"]] == [
        ("bob", "pending"),
        ("carol", "pending"),
    ]
    (announced,) = await wait_until(
        lambda: [
            e
            for e in event_recorder.of_type("post.edit_proposed")
            if e.data["post_id"] == post["id"]
        ]
    )
    assert sorted(announced.data["approver_ids"]) == sorted([uid("bob"), uid("carol")])

    answer = f"/v1/posts/{post['id']}/edits/{edit['id']}"
    first = await client.post(f"{answer}/approve", headers=as_user("bob"))
    assert first.json()["status"] == "pending"
    assert (await text_of(client, post["id"], as_user("alice")))["text"] == "teh draft"
    second = await client.post(f"{answer}/approve", headers=as_user("carol"))
    assert second.json()["status"] == "applied"
    shown = await text_of(client, post["id"], as_user("erin"))
    assert (shown["text"], shown["version"]) == ("the draft", 2)


async def test_non_authors_get_404_and_a_second_open_proposal_409(
    client: httpx.AsyncClient, post: dict[str, Any], as_user: Headers
) -> None:
    assert (await propose(client, post["id"], as_user("erin"))).status_code == 404
    assert (await propose(client, "nope", as_user("alice"))).status_code == 404
    assert (await propose(client, post["id"], as_user("bob"))).status_code == 201
    again = await propose(client, post["id"], as_user("carol"), text="other")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    # The open proposal is the credited authors' business: a reader of the post sees none.
    listed = f"/v1/posts/{post['id']}/edits"
    assert len((await client.get(listed, headers=as_user("carol"))).json()["items"]) == 1
    assert (await client.get(listed, headers=as_user("erin"))).json()["items"] == []
    assert (await client.get("/v1/posts/nope/edits", headers=as_user("erin"))).status_code == 404


async def test_a_stale_proposal_is_409_and_bad_text_422(
    client: httpx.AsyncClient, post: dict[str, Any], as_user: Headers
) -> None:
    stale = await propose(client, post["id"], as_user("alice"), base_version=2)
    assert stale.status_code == 409
    assert (await propose(client, post["id"], as_user("alice"), text="")).status_code == 422
    assert (await client.get(f"/v1/posts/{post['id']}/edits", headers=as_user("alice"))).json()[
        "items"
    ] == []


async def test_a_rejection_ends_it_and_a_withdrawal_by_another_is_403(
    client: httpx.AsyncClient, post: dict[str, Any], as_user: Headers
) -> None:
    edit = (await propose(client, post["id"], as_user("bob"))).json()
    path = f"/v1/posts/{post['id']}/edits/{edit['id']}"
    assert (await client.delete(path, headers=as_user("carol"))).status_code == 403
    assert (await client.post(f"{path}/approve", headers=as_user("bob"))).status_code == 403
    rejected = await client.post(f"{path}/reject", headers=as_user("carol"))
    assert rejected.json()["status"] == "rejected"
    assert (await client.post(f"{path}/approve", headers=as_user("alice"))).status_code == 409
    assert (await client.delete(path, headers=as_user("bob"))).status_code == 409
    assert (await text_of(client, post["id"], as_user("alice")))["text"] == "teh draft"


async def test_the_proposer_withdraws_and_may_then_propose_again(
    client: httpx.AsyncClient, post: dict[str, Any], as_user: Headers
) -> None:
    edit = (await propose(client, post["id"], as_user("bob"))).json()
    path = f"/v1/posts/{post['id']}/edits/{edit['id']}"
    assert (await client.delete(path, headers=as_user("bob"))).status_code == 204
    assert (await client.delete(path, headers=as_user("bob"))).status_code == 204
    assert (await client.get(path, headers=as_user("alice"))).json()["status"] == "withdrawn"
    assert (await propose(client, post["id"], as_user("bob"))).status_code == 201


async def test_a_coauthor_who_leaves_is_no_longer_needed(
    client: httpx.AsyncClient, post: dict[str, Any], as_user: Headers
) -> None:
    edit = (await propose(client, post["id"], as_user("alice"))).json()
    path = f"/v1/posts/{post['id']}/edits/{edit['id']}"
    await client.post(f"{path}/approve", headers=as_user("bob"))
    left = await client.delete(f"/v1/posts/{post['id']}/coauthors/carol", headers=as_user("carol"))
    assert left.status_code == 204
    assert (await client.get(path, headers=as_user("alice"))).json()["status"] == "applied"
    assert (await text_of(client, post["id"], as_user("alice")))["text"] == "the draft"


async def test_the_sweep_expires_a_proposal_and_late_approvals_are_409(
    start_posts: PostsServiceStarter,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
    uid: Ids,
) -> None:
    async with start_posts(edit_approval_seconds=0.5, edit_expiry_sweep_seconds=0.2) as client:
        post = await shared_post(
            client, events, event_recorder, as_user("alice"), [uid("bob")], ["bob"]
        )
        edit = (await propose(client, post["id"], as_user("alice"))).json()
        (ended,) = await wait_until(
            lambda: [
                e
                for e in event_recorder.of_type("post.edit_ended")
                if e.data["edit_id"] == edit["id"]
            ],
            timeout=10,
        )
        assert ended.data["status"] == "expired"
        late = await client.post(
            f"/v1/posts/{post['id']}/edits/{edit['id']}/approve", headers=as_user("bob")
        )
        assert late.status_code == 409
        assert (await text_of(client, post["id"], as_user("alice")))["text"] == "teh draft"


async def test_approvals_racing_one_outcome(
    client: httpx.AsyncClient, post: dict[str, Any], as_user: Headers, event_recorder: EventRecorder
) -> None:
    edit = (await propose(client, post["id"], as_user("alice"))).json()
    path = f"/v1/posts/{post['id']}/edits/{edit['id']}"
    answers = await asyncio.gather(
        client.post(f"{path}/approve", headers=as_user("bob")),
        client.post(f"{path}/reject", headers=as_user("carol")),
        client.delete(path, headers=as_user("alice")),
    )
    assert all(r.status_code in (200, 204, 409) for r in answers), [r.text for r in answers]
    final = (await client.get(path, headers=as_user("alice"))).json()["status"]
    assert final in ("rejected", "withdrawn")
    ended = await wait_until(
        lambda: [
            e for e in event_recorder.of_type("post.edit_ended") if e.data["edit_id"] == edit["id"]
        ]
    )
    assert [e.data["status"] for e in ended] == [final]
    assert not [e for e in event_recorder.of_type("post.edited") if e.data["edit_id"] == edit["id"]]


async def test_two_approvals_racing_apply_the_edit_once(
    client: httpx.AsyncClient, post: dict[str, Any], as_user: Headers
) -> None:
    edit = (await propose(client, post["id"], as_user("alice"))).json()
    path = f"/v1/posts/{post['id']}/edits/{edit['id']}"
    answers = await asyncio.gather(
        client.post(f"{path}/approve", headers=as_user("bob")),
        client.post(f"{path}/approve", headers=as_user("carol")),
    )
    assert [r.status_code for r in answers] == [200, 200]
    assert "applied" in [r.json()["status"] for r in answers]
    history = (await client.get(f"/v1/posts/{post['id']}/history", headers=as_user("erin"))).json()
    assert [v["version"] for v in history["items"]] == [1, 2]


# -- media and alt text (the media service's attach route is a stand-in here) ---------


@pytest.fixture
async def illustrated(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
    uid: Ids,
) -> dict[str, Any]:
    """Alice's post with her two pictures, co-authored by bob and carol."""
    media_ids = [media_stand_in.upload(name, uid("alice")) for name in ("cat", "dgo")]
    return await shared_post(
        posts,
        events,
        event_recorder,
        as_user("alice"),
        [uid("bob"), uid("carol")],
        ["bob", "carol"],
        media_ids=media_ids,
    )


async def test_a_picture_swap_and_an_alt_text_fix_apply_only_once_everyone_approves(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    illustrated: dict[str, Any],
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post_id = illustrated["id"]
    bird = media_stand_in.upload("bird", uid("bob"))
    proposed = await posts.post(
        f"/v1/posts/{post_id}/edits",
        json={"media_ids": [bird, "dgo"], "alt_texts": {"dgo": "A dog."}, "base_version": 1},
        headers=as_user("bob"),
    )
    assert proposed.status_code == 201, proposed.text
    edit = proposed.json()
    assert [(m["id"], m["alt_text"]) for m in edit["media"]] == [(bird, None), ("dgo", "A dog.")]
    assert media_stand_in.on_post[bird] == post_id
    shown = await text_of(posts, post_id, as_user("erin"))
    assert [m["id"] for m in shown["media"]] == ["cat", "dgo"]

    answer = f"/v1/posts/{post_id}/edits/{edit['id']}"
    assert (await posts.post(f"{answer}/approve", headers=as_user("alice"))).status_code == 200
    assert [m["id"] for m in (await text_of(posts, post_id, as_user("erin")))["media"]] == [
        "cat",
        "dgo",
    ]
    applied = await posts.post(f"{answer}/approve", headers=as_user("carol"))
    assert applied.json()["status"] == "applied"
    shown = await text_of(posts, post_id, as_user("erin"))
    assert [(m["id"], m["alt_text"]) for m in shown["media"]] == [(bird, None), ("dgo", "A dog.")]
    assert (shown["text"], shown["version"]) == ("teh draft", 2)
    (edited,) = await wait_until(
        lambda: [e for e in event_recorder.of_type("post.edited") if e.data["post_id"] == post_id]
    )
    assert [(m["id"], m["alt_text_version"]) for m in edited.data["media"]] == [
        (bird, 1),
        ("dgo", 2),
    ]
    assert edited.data["removed_media_ids"] == ["cat"]
    history = (await posts.get(f"/v1/posts/{post_id}/history", headers=as_user("erin"))).json()
    assert [[m["id"] for m in v["media"]] for v in history["items"]] == [
        ["cat", "dgo"],
        [bird, "dgo"],
    ]


async def test_a_proposal_takes_only_the_proposers_free_uploads(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    illustrated: dict[str, Any],
    as_user: Headers,
    uid: Ids,
) -> None:
    post_id = illustrated["id"]
    path = f"/v1/posts/{post_id}/edits"
    carols = media_stand_in.upload("carols", uid("carol"))
    refused = await posts.post(path, json={"media_ids": [carols]}, headers=as_user("bob"))
    assert refused.status_code == 404
    elsewhere = media_stand_in.upload("elsewhere", uid("bob"))
    media_stand_in.on_post[elsewhere] = "another-post"
    taken = await posts.post(path, json={"media_ids": [elsewhere]}, headers=as_user("bob"))
    assert taken.status_code == 409
    too_many = await posts.post(
        path, json={"media_ids": ["cat", "dgo", "cat"]}, headers=as_user("alice")
    )
    assert too_many.status_code == 422
    stray = await posts.post(path, json={"alt_texts": {"nope": "x"}}, headers=as_user("alice"))
    assert stray.status_code == 422
    assert (await posts.get(path, headers=as_user("alice"))).json()["items"] == []


async def test_a_rejected_proposal_frees_the_uploads_it_reserved(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    illustrated: dict[str, Any],
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post_id = illustrated["id"]
    bird = media_stand_in.upload("bird", uid("bob"))
    edit = (
        await posts.post(
            f"/v1/posts/{post_id}/edits", json={"media_ids": [bird]}, headers=as_user("bob")
        )
    ).json()
    rejected = await posts.post(
        f"/v1/posts/{post_id}/edits/{edit['id']}/reject", headers=as_user("carol")
    )
    assert rejected.json()["status"] == "rejected"
    (ended,) = await wait_until(
        lambda: [
            e for e in event_recorder.of_type("post.edit_ended") if e.data["post_id"] == post_id
        ]
    )
    assert ended.data["released_media_ids"] == [bird]
    assert [m["id"] for m in (await text_of(posts, post_id, as_user("erin")))["media"]] == [
        "cat",
        "dgo",
    ]


async def test_an_alt_text_the_uploader_edits_meanwhile_reaches_the_proposal(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    illustrated: dict[str, Any],
    as_user: Headers,
    uid: Ids,
    events: EventInjector,
) -> None:
    post_id = illustrated["id"]
    bird = media_stand_in.upload("bird", uid("bob"))
    path = f"/v1/posts/{post_id}/edits"
    edit = (await posts.post(path, json={"media_ids": [bird]}, headers=as_user("bob"))).json()
    await events.publish(
        MediaAltTextChanged(
            media_id=bird,
            owner_id=uid("bob"),
            post_id=post_id,
            medium=AttachedMedia(id=bird, kind="image", alt_text="A gull", alt_text_version=2),
            changed_at=datetime.now(UTC),
        )
    )
    shown = (await posts.get(f"{path}/{edit['id']}", headers=as_user("alice"))).json()
    assert [m["alt_text"] for m in shown["media"]] == ["A gull"]
    for approver in ("alice", "carol"):
        await posts.post(f"{path}/{edit['id']}/approve", headers=as_user(approver))
    applied = await text_of(posts, post_id, as_user("erin"))
    assert [(m["id"], m["alt_text"]) for m in applied["media"]] == [(bird, "A gull")]
