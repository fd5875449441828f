"""Remixes across servers (FEP-044f quotes), as the federation service reports them, through
the one remix state machine. A local remix of a remote post waits for that post's server: its
authorization approves it, a Reject refuses it, a Delete of the authorization revokes it; a
word from anyone else, about another original, repeated or out of order, changes nothing. A
remote quote of a local post is a remote post that is a remix of it, admitted, awaiting
approval or refused by the author's remix settings as a local remix would be.

Real RabbitMQ and embedded MongoDB; the users service is the stand-in, knowing the remote
account too."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared.events.federation import (
    RemotePostReceived,
    RemoteQuoteAuthorized,
    RemoteQuoteRejected,
    RemoteQuoteRequested,
    RemoteQuoteRevoked,
)
from shared.events.users import UserRegistered
from shared.remote_accounts import remote_post_id, remote_user_id
from shared.testing import EligibilityStandIn, EventInjector, EventRecorder, KnownUser

type Headers = Callable[[str], dict[str, str]]
type Ids = Callable[[str], str]
type Starter = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]

RITA = remote_user_id("https://social.example/users/rita")
STRANGER = remote_user_id("https://elsewhere.example/users/sam")
NOTE = "https://social.example/users/rita/statuses/1"
RITAS_POST = remote_post_id(NOTE)
QUOTE_NOTE = "https://social.example/users/rita/statuses/2"
QUOTE = remote_post_id(QUOTE_NOTE)
AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


@pytest.fixture
def users(users_stand_in: Callable[[], EligibilityStandIn]) -> EligibilityStandIn:
    stand_in = users_stand_in()
    stand_in.users[RITA] = KnownUser(id=RITA, handle="rita@social.example", display_name="Rita")
    return stand_in


@pytest.fixture
async def posts(
    start_posts: Starter, users: EligibilityStandIn, events: EventInjector
) -> AsyncIterator[httpx.AsyncClient]:
    async with start_posts(users=users.transport()) as client:
        await events.publish(
            UserRegistered(
                user_id=RITA,
                handle="rita@social.example",
                display_name="Rita",
                created_at=AT,
                domain="social.example",
            )
        )
        yield client


async def get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def bobs_remix_of_ritas_post(
    posts: httpx.AsyncClient, events: EventInjector, as_user: Headers
) -> dict[str, Any]:
    await events.publish(
        RemotePostReceived(
            activity_id=f"{NOTE}/activity",
            post_id=RITAS_POST,
            note_id=NOTE,
            url=NOTE,
            author_id=RITA,
            text="from afar",
            published_at=AT,
        )
    )
    response = await posts.post(
        "/v1/posts", json={"text": "my take", "remix_of": RITAS_POST}, headers=as_user("bob")
    )
    assert response.status_code == 201, response.text
    remix: dict[str, Any] = response.json()
    return remix


def authorized(remix_id: str, *, author: str = RITA, original: str = RITAS_POST) -> Any:
    return RemoteQuoteAuthorized(
        activity_id="https://social.example/accepts/1",
        remix_id=remix_id,
        original_id=original,
        author_id=author,
        authorization="https://social.example/users/rita/authorizations/1",
        authorized_at=AT,
    )


async def test_a_remix_of_a_remote_post_waits_for_its_authorization(
    posts: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
) -> None:
    remix = await bobs_remix_of_ritas_post(posts, events, as_user)
    assert remix["remix_of"] == {"post_id": RITAS_POST, "status": "pending", "post": None}
    (requested,) = await event_recorder.wait_for("post.remix_requested")
    assert requested.data["original_author_id"] == RITA
    assert requested.data["answerer_ids"] == []  # rita's own server answers

    # Another account's word, or a word about another original, approves nothing.
    await events.publish(authorized(remix["id"], author=STRANGER))
    await events.publish(authorized(remix["id"], original=QUOTE))
    still = await get(posts, f"/v1/posts/{remix['id']}", as_user("dave"))
    assert still["remix_of"]["status"] == "pending"

    await events.publish(authorized(remix["id"]), authorized(remix["id"]))
    shown = await get(posts, f"/v1/posts/{remix['id']}", as_user("dave"))
    assert shown["remix_of"]["status"] == "approved"
    assert shown["remix_of"]["post"]["text"] == "from afar"
    (approved,) = await event_recorder.wait_for("post.remix_approved")
    assert approved.data["actor_id"] == RITA

    await events.publish(
        RemoteQuoteRevoked(
            activity_id="https://social.example/deletes/1",
            remix_id=remix["id"],
            original_id=RITAS_POST,
            author_id=RITA,
            revoked_at=AT,
        )
    )
    revoked = await get(posts, f"/v1/posts/{remix['id']}", as_user("dave"))
    assert revoked["remix_of"] == {"post_id": RITAS_POST, "status": "revoked", "post": None}
    assert len(event_recorder.of_type("post.remix_approved")) == 1


async def test_a_rejected_remix_stays_hidden_even_if_an_authorization_follows(
    posts: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
) -> None:
    remix = await bobs_remix_of_ritas_post(posts, events, as_user)

    await events.publish(
        RemoteQuoteRejected(
            activity_id="https://social.example/rejects/1",
            remix_id=remix["id"],
            original_id=RITAS_POST,
            author_id=RITA,
            rejected_at=AT,
        )
    )
    await events.publish(authorized(remix["id"]))

    shown = await get(posts, f"/v1/posts/{remix['id']}", as_user("bob"))
    assert shown["remix_of"] == {"post_id": RITAS_POST, "status": "rejected", "post": None}
    await event_recorder.wait_for("post.remix_rejected")
    assert not event_recorder.of_type("post.remix_approved")


async def alices_post(posts: httpx.AsyncClient, as_user: Headers) -> dict[str, Any]:
    response = await posts.post("/v1/posts", json={"text": "hers"}, headers=as_user("alice"))
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post


def quote_requested(original_id: str) -> RemoteQuoteRequested:
    return RemoteQuoteRequested(
        activity_id="https://social.example/quote-requests/1",
        remix_id=QUOTE,
        original_id=original_id,
        note_id=QUOTE_NOTE,
        url=QUOTE_NOTE,
        author_id=RITA,
        text="quoting alice",
        published_at=AT,
        requested_at=AT,
    )


async def test_a_remote_quote_admitted_automatically_is_a_remix_of_the_local_post(
    posts: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
    uid: Ids,
) -> None:
    original = await alices_post(posts, as_user)

    await events.publish(quote_requested(original["id"]), quote_requested(original["id"]))

    quote = await get(posts, f"/v1/posts/{QUOTE}", as_user("alice"))
    assert quote["author"]["handle"] == "rita@social.example"
    assert quote["text"] == "quoting alice"
    assert quote["remix_of"]["status"] == "approved"
    assert quote["remix_of"]["post"]["id"] == original["id"]
    remixes = await get(posts, f"/v1/posts/{original['id']}/remixes", as_user("alice"))
    assert [item["id"] for item in remixes["items"]] == [QUOTE]
    (approved,) = await event_recorder.wait_for("post.remix_approved")
    assert approved.data["automatic"] is True
    assert approved.data["original_author_ids"] == [uid("alice")]
    assert len(event_recorder.of_type("post.remix_approved")) == 1


async def test_a_remote_quote_awaiting_approval_is_answered_and_revoked_like_a_local_remix(
    posts: httpx.AsyncClient,
    users: EligibilityStandIn,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
    uid: Ids,
) -> None:
    users.set_remix_policy(uid("alice"), "everyone", "manual")
    original = await alices_post(posts, as_user)

    await events.publish(quote_requested(original["id"]))

    (request,) = (await get(posts, "/v1/remix-requests", as_user("alice")))["items"]
    assert request["remix"]["id"] == QUOTE
    approve = await posts.post(
        f"/v1/remix-requests/{request['id']}/approve", headers=as_user("alice")
    )
    assert approve.status_code == 200
    (approved,) = await event_recorder.wait_for("post.remix_approved")
    assert (approved.data["remix_author_id"], approved.data["actor_id"]) == (RITA, uid("alice"))

    revoke = await posts.delete(
        f"/v1/posts/{original['id']}/remixes/{QUOTE}", headers=as_user("alice")
    )
    assert revoke.status_code == 204, revoke.text
    (revoked,) = await event_recorder.wait_for("post.remix_revoked")
    assert revoked.data["remix_id"] == QUOTE


async def test_a_remote_quote_the_policy_refuses_is_rejected_at_once(
    posts: httpx.AsyncClient,
    users: EligibilityStandIn,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
    uid: Ids,
) -> None:
    users.set_remix_policy(uid("alice"), "nobody")
    original = await alices_post(posts, as_user)

    await events.publish(quote_requested(original["id"]))

    quote = await get(posts, f"/v1/posts/{QUOTE}", as_user("alice"))
    assert quote["remix_of"] == {"post_id": original["id"], "status": "rejected", "post": None}
    (rejected,) = await event_recorder.wait_for("post.remix_rejected")
    assert rejected.data["remix_author_id"] == RITA
    assert (await get(posts, "/v1/remix-requests", as_user("alice")))["items"] == []


async def test_a_quote_post_taken_in_before_its_request_becomes_the_remix(
    posts: httpx.AsyncClient,
    events: EventInjector,
    event_recorder: EventRecorder,
    as_user: Headers,
) -> None:
    original = await alices_post(posts, as_user)
    await events.publish(
        RemotePostReceived(
            activity_id=f"{QUOTE_NOTE}/activity",
            post_id=QUOTE,
            note_id=QUOTE_NOTE,
            url=QUOTE_NOTE,
            author_id=RITA,
            text="quoting alice",
            published_at=AT,
        )
    )

    await events.publish(quote_requested(original["id"]), quote_requested(original["id"]))

    quote = await get(posts, f"/v1/posts/{QUOTE}", as_user("alice"))
    assert quote["remix_of"]["status"] == "approved"
    await event_recorder.wait_for("post.remix_approved")
    assert len(event_recorder.of_type("post.remix_approved")) == 1
