"""Hand-overs through the posts routes, and the author's deletion handing a post over, on the
real broker and embedded MongoDB."""

from datetime import UTC, datetime
from typing import Any

import httpx
from posts_support import Headers, Ids
from test_posts_editing import shared_post

from shared.events.users import UserDeleted
from shared.testing import EventInjector, EventRecorder, wait_until


async def test_a_hand_over_asked_shown_and_accepted(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
    uid: Ids,
) -> None:
    post = await shared_post(
        client,
        events,
        event_recorder,
        as_user("alice"),
        [uid("bob"), uid("carol")],
        ["bob", "carol"],
    )
    path = f"/v1/posts/{post['id']}/handover"
    assert (
        await client.post(path, json={"to": "dave"}, headers=as_user("alice"))
    ).status_code == 422
    assert (await client.post(path, json={"to": "bob"}, headers=as_user("bob"))).status_code == 403
    asked = await client.post(path, json={"to": "bob"}, headers=as_user("alice"))
    assert asked.status_code == 201, asked.text
    shown = await client.get(f"{path}s", headers=as_user("bob"))
    assert shown.status_code == 200, shown.text
    assert [(h["to"]["handle"], h["status"]) for h in shown.json()["items"]] == [("bob", "pending")]
    # Another co-author sees the post, not the request; a stranger to a pending post, nothing.
    assert (await client.get(f"{path}s", headers=as_user("carol"))).json()["items"] == []
    assert (await client.post(f"{path}/accept", headers=as_user("carol"))).status_code == 404

    accepted = await client.post(f"{path}/accept", headers=as_user("bob"))
    assert accepted.status_code == 200, accepted.text
    body: dict[str, Any] = accepted.json()
    assert body["author"]["handle"] == "bob"
    assert sorted(c["user"]["handle"] for c in body["coauthors"]) == ["alice", "carol"]
    (handed,) = await wait_until(
        lambda: [
            e for e in event_recorder.of_type("post.handed_over") if e.data["post_id"] == post["id"]
        ]
    )
    assert handed.data["reason"] == "accepted"


async def test_the_authors_deletion_hands_the_chosen_post_to_the_first_coauthor(
    client: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
    uid: Ids,
) -> None:
    kept = await shared_post(
        client,
        events,
        event_recorder,
        as_user("alice"),
        [uid("bob"), uid("carol")],
        ["bob", "carol"],
    )
    gone = await shared_post(
        client, events, event_recorder, as_user("alice"), [uid("bob")], ["bob"]
    )
    chose = await client.put(
        f"/v1/posts/{kept['id']}/succession",
        json={"on_author_deletion": "hand_over"},
        headers=as_user("alice"),
    )
    assert chose.status_code == 204, chose.text
    await events.publish(UserDeleted(user_id=uid("alice"), deleted_at=datetime.now(UTC)))

    shown = (await client.get(f"/v1/posts/{kept['id']}", headers=as_user("erin"))).json()
    assert shown["author"]["handle"] == "bob"
    assert [c["user"]["handle"] for c in shown["coauthors"]] == ["carol"]
    assert (await client.get(f"/v1/posts/{gone['id']}", headers=as_user("erin"))).status_code == 404
