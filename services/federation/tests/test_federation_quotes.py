"""Remixes across servers as FEP-044f quotes. Outbound: a local remix of a remote post sends a
signed QuoteRequest; only an Accept from the quoted author naming an authorization that its
server serves for this very quote approves it; a Reject refuses it; a Delete of the
authorization revokes it. Inbound: a remote QuoteRequest of a local post becomes a fact for the
posts service, whose answers go back as Accept (with an authorization served here), Reject, or
Delete (and the authorization answers 410). Forged, unknown, repeated or reordered activities
change nothing."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from federation_support import (
    DOMAIN,
    FederationHarness,
    RemotePeer,
    alice_follows_peer,
    followed_by_peer,
    published,
)

from federation.core.signatures import verify
from federation.quotes.repository import QUOTES
from shared.clock import utc_now
from shared.events.posts import (
    PostDeleted,
    PostRemixApproved,
    PostRemixRejected,
    PostRemixRequested,
    PostRemixRevoked,
)
from shared.remote_accounts import remote_post_id, remote_user_id
from shared.testing import DIRECTORY_USERS, EventRecorder, wait_until

ALICE, BOB, _ = DIRECTORY_USERS
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AUTHORIZED = "federation.remote_quote_authorized"


@dataclass
class QuotingPeer(RemotePeer):
    """A remote server that also serves documents of its own (notes, authorizations), at
    `/objects/{name}` as every test peer does."""

    def serve(self, document: dict[str, Any]) -> None:
        """Serves `document` at its id, one of this peer's `/objects/` URLs."""
        self.objects[document["id"].rpartition("/")[2]] = (200, document)

    def note(self, content: str = "<p>quoted</p>") -> dict[str, Any]:
        return {
            "id": f"{self.url}/objects/{uuid.uuid4()}",
            "type": "Note",
            "attributedTo": self.actor_id,
            "content": content,
            "published": "2026-12-07T03:00:00Z",
            "to": [PUBLIC],
        }

    def activity(self, kind: str, obj: Any, **fields: Any) -> dict[str, Any]:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.url}/activities/{uuid.uuid4()}",
            "type": kind,
            "actor": self.actor_id,
            "object": obj,
            **fields,
        }

    def authorize(self, request: dict[str, Any], *, quote: str | None = None) -> str:
        """Serves an authorization of the request's quote (or of `quote`), returns its URL."""
        url = f"{self.url}/objects/{uuid.uuid4()}"
        self.serve(
            {
                "id": url,
                "type": "QuoteAuthorization",
                "attributedTo": self.actor_id,
                "interactingObject": quote or request["instrument"],
                "interactionTarget": request["object"],
            }
        )
        return url


@pytest.fixture
async def quoting_peer() -> AsyncIterator[QuotingPeer]:
    async with QuotingPeer().served() as remote:
        yield remote


@pytest.fixture
async def stranger() -> AsyncIterator[QuotingPeer]:
    """Another remote server, with an actor of its own."""
    async with QuotingPeer().served() as remote:
        yield remote


async def send(federation: FederationHarness, peer: RemotePeer, item: dict[str, Any]) -> None:
    assert (await federation.post_signed("/inbox", item, peer)).status_code == 202


async def remote_note_taken(
    federation: FederationHarness, peer: QuotingPeer, recorder: EventRecorder
) -> dict[str, Any]:
    """A Note of the peer's, taken in here as a post (alice follows the peer)."""
    await alice_follows_peer(federation, peer)
    note = peer.note()
    await send(federation, peer, peer.activity("Create", note))
    await recorder.wait_for("federation.remote_post_received")
    return note


def remix_requested(remix_id: str, note: dict[str, Any], peer: RemotePeer) -> PostRemixRequested:
    """The posts service's word that alice's remix of the peer's note waits for its server."""
    return PostRemixRequested(
        remix_id=remix_id,
        remix_author_id=ALICE.id,
        original_id=remote_post_id(note["id"]),
        original_author_id=remote_user_id(peer.actor_id),
        status="pending",
        request_id=uuid.uuid4().hex,
        at=utc_now(),
    )


async def quote_requested(
    federation: FederationHarness, peer: QuotingPeer, recorder: EventRecorder
) -> dict[str, Any]:
    note = await remote_note_taken(federation, peer, recorder)
    await federation.events.publish(remix_requested("remix1", note, peer))
    (request,) = await wait_until(lambda: peer.activities("QuoteRequest") or None)
    return request


async def test_a_local_remix_of_a_remote_post_sends_a_signed_quote_request(
    federation: FederationHarness, quoting_peer: QuotingPeer, event_recorder: EventRecorder
) -> None:
    note = await remote_note_taken(federation, quoting_peer, event_recorder)
    requested = remix_requested("remix1", note, quoting_peer)

    await federation.events.publish(requested)
    await federation.events.publish(requested)

    (request,) = await wait_until(lambda: quoting_peer.activities("QuoteRequest") or None)
    assert request["actor"] == f"http://{DOMAIN}/users/alice"
    assert request["object"] == note["id"]
    assert request["instrument"] == f"http://{DOMAIN}/posts/remix1"
    delivered = next(r for r in quoting_peer.received if b"QuoteRequest" in r.body)
    pem = (await federation.get("/users/alice")).json()["publicKey"]["publicKeyPem"]
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    verify(delivered, key, now=utc_now(), max_age=timedelta(minutes=5))
    assert len(quoting_peer.activities("QuoteRequest")) == 1


async def test_only_the_quoted_authors_checked_authorization_approves_the_remix(
    federation: FederationHarness,
    quoting_peer: QuotingPeer,
    stranger: QuotingPeer,
    event_recorder: EventRecorder,
) -> None:
    request = await quote_requested(federation, quoting_peer, event_recorder)
    authorization = quoting_peer.authorize(request)
    # Another server answering, an unknown request, an authorization of another quote, one
    # that is not served, and one on another server: none of them approves anything.
    await send(federation, stranger, stranger.activity("Accept", request, result=authorization))
    unknown = {**request, "id": f"http://{DOMAIN}/users/alice#quoterequests/x"}
    await send(
        federation,
        quoting_peer,
        quoting_peer.activity("Accept", unknown, result=authorization),
    )
    other_quote = quoting_peer.authorize(request, quote=f"http://{DOMAIN}/posts/another")
    missing = f"{quoting_peer.url}/objects/{uuid.uuid4()}"
    elsewhere = stranger.authorize(request)
    for result in (other_quote, missing, elsewhere):
        bad = quoting_peer.activity("Accept", request["id"], result=result)
        await send(federation, quoting_peer, bad)

    accept = quoting_peer.activity("Accept", request, result=authorization)
    await send(federation, quoting_peer, accept)
    await send(
        federation, quoting_peer, quoting_peer.activity("Accept", request, result=authorization)
    )
    await send(federation, quoting_peer, quoting_peer.activity("Reject", request))

    (authorized,) = await event_recorder.wait_for(AUTHORIZED)
    assert authorized.data["activity_id"] == accept["id"]
    assert authorized.data["remix_id"] == "remix1"
    assert authorized.data["authorization"] == authorization
    assert authorized.data["author_id"] == remote_user_id(quoting_peer.actor_id)
    assert not event_recorder.of_type("federation.remote_quote_rejected")
    assert len(event_recorder.of_type(AUTHORIZED)) == 1


async def test_a_deleted_authorization_revokes_only_from_its_author(
    federation: FederationHarness,
    quoting_peer: QuotingPeer,
    stranger: QuotingPeer,
    event_recorder: EventRecorder,
) -> None:
    request = await quote_requested(federation, quoting_peer, event_recorder)
    authorization = quoting_peer.authorize(request)
    # A Delete before the Accept (reordered) and one from another actor change nothing.
    await send(federation, quoting_peer, quoting_peer.delete(authorization))
    await send(
        federation, quoting_peer, quoting_peer.activity("Accept", request, result=authorization)
    )
    await event_recorder.wait_for(AUTHORIZED)
    await send(federation, stranger, stranger.activity("Delete", authorization))

    delete = quoting_peer.activity("Delete", {"id": authorization, "type": "Tombstone"})
    await send(federation, quoting_peer, delete)

    (revoked,) = await event_recorder.wait_for("federation.remote_quote_revoked")
    assert revoked.data["activity_id"] == delete["id"]
    assert revoked.data["remix_id"] == "remix1"
    assert len(event_recorder.of_type("federation.remote_quote_revoked")) == 1


async def test_a_reject_refuses_the_remix(
    federation: FederationHarness, quoting_peer: QuotingPeer, event_recorder: EventRecorder
) -> None:
    request = await quote_requested(federation, quoting_peer, event_recorder)

    reject = quoting_peer.activity("Reject", request["id"])
    await send(federation, quoting_peer, reject)
    late_accept = quoting_peer.activity("Accept", request, result=quoting_peer.authorize(request))
    await send(federation, quoting_peer, late_accept)

    (rejected,) = await event_recorder.wait_for("federation.remote_quote_rejected")
    assert rejected.data["activity_id"] == reject["id"]
    quote = await federation.app.state.runtime.db[QUOTES].find_one({"_id": "remix1"})
    assert quote["status"] == "rejected"
    assert not event_recorder.of_type(AUTHORIZED)


async def test_a_remix_note_names_its_original_and_shows_its_authorization_while_it_stands(
    federation: FederationHarness, quoting_peer: QuotingPeer, event_recorder: EventRecorder
) -> None:
    request = await quote_requested(federation, quoting_peer, event_recorder)
    await followed_by_peer(federation, quoting_peer, "alice")
    original_id = remote_post_id(request["object"])
    remix = published("remix1", ALICE.id).model_copy(update={"remix_of_post_id": original_id})
    await federation.events.publish(remix)
    (create,) = await wait_until(lambda: quoting_peer.activities("Create") or None)
    pending = create["object"]
    for name in ("quote", "quoteUrl", "_misskey_quote"):
        assert pending[name] == request["object"]
    assert "quoteAuthorization" not in pending
    assert pending["interactionPolicy"] == {"canQuote": {"automaticApproval": [PUBLIC]}}

    authorization = quoting_peer.authorize(request)
    accept = quoting_peer.activity("Accept", request, result=authorization)
    await send(federation, quoting_peer, accept)
    await event_recorder.wait_for(AUTHORIZED)
    # The posts service's answer to the fact: the remix is approved.
    await federation.events.publish(remix_moved(PostRemixApproved, original_id, quoting_peer))

    (update,) = await wait_until(lambda: quoting_peer.activities("Update") or None)
    assert update["object"]["quoteAuthorization"] == authorization
    assert update["object"]["updated"] > pending["published"]
    fetched = (await federation.fetch(f"http://{DOMAIN}/posts/remix1")).json()
    assert fetched["quoteAuthorization"] == authorization

    await send(federation, quoting_peer, quoting_peer.activity("Delete", authorization))
    await event_recorder.wait_for("federation.remote_quote_revoked")
    revoked = remix_moved(PostRemixRevoked, original_id, quoting_peer)
    await federation.events.publish(revoked, revoked)

    updates = await wait_until(lambda: len(quoting_peer.activities("Update")) == 2 or None)
    assert updates
    assert "quoteAuthorization" not in quoting_peer.activities("Update")[1]["object"]


def remix_moved(kind: type[Any], original_id: str, peer: RemotePeer) -> Any:
    """The posts service's word that alice's remix of the peer's post moved on."""
    status = {PostRemixApproved: "approved", PostRemixRevoked: "revoked"}[kind]
    return kind(
        remix_id="remix1",
        remix_author_id=ALICE.id,
        original_id=original_id,
        original_author_id=remote_user_id(peer.actor_id),
        status=status,
        actor_id=remote_user_id(peer.actor_id),
        at=utc_now(),
    )


async def _ok(answer: Any) -> Any:
    got = await answer
    return got if got.status_code == 200 else None


# -- inbound ---------------------------------------------------------------------------


async def local_post(federation: FederationHarness, post_id: str) -> str:
    await federation.events.publish(published(post_id, ALICE.id))
    url = f"http://{DOMAIN}/posts/{post_id}"
    await wait_until(lambda: _ok(federation.fetch(url)))
    return url


def quote_request(peer: QuotingPeer, post_url: str, instrument: Any) -> dict[str, Any]:
    request = peer.activity("QuoteRequest", post_url, instrument=instrument)
    request["@context"] = [
        "https://www.w3.org/ns/activitystreams",
        {"QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest"},
    ]
    return request


def answered(kind: type[Any], remix_id: str, peer: RemotePeer, post_id: str) -> Any:
    """The posts service's word on a remote quote of alice's post."""
    return kind(
        remix_id=remix_id,
        remix_author_id=remote_user_id(peer.actor_id),
        original_id=post_id,
        original_author_id=ALICE.id,
        status={
            PostRemixApproved: "approved",
            PostRemixRejected: "rejected",
            PostRemixRevoked: "revoked",
        }[kind],
        at=utc_now(),
    )


async def test_a_remote_quote_request_is_told_to_the_posts_service_once(
    federation: FederationHarness,
    quoting_peer: QuotingPeer,
    stranger: QuotingPeer,
    event_recorder: EventRecorder,
) -> None:
    post_url = await local_post(federation, "p1")
    quote = quoting_peer.note("<p>look at this</p>") | {"quote": post_url}
    # A quote post that is another's, a request of no post here: not taken.
    await send(federation, stranger, quote_request(stranger, post_url, quote))
    await send(
        federation,
        quoting_peer,
        quote_request(quoting_peer, f"http://{DOMAIN}/posts/nope", quoting_peer.note()),
    )

    request = quote_request(quoting_peer, post_url, quote)
    await send(federation, quoting_peer, request)
    await send(federation, quoting_peer, quote_request(quoting_peer, post_url, quote))

    (requested,) = await event_recorder.wait_for("federation.remote_quote_requested")
    assert requested.data["activity_id"] == request["id"]
    assert requested.data["remix_id"] == remote_post_id(quote["id"])
    assert requested.data["original_id"] == "p1"
    assert requested.data["author_id"] == remote_user_id(quoting_peer.actor_id)
    assert requested.data["text"] == "look at this"
    assert len(event_recorder.of_type("federation.remote_quote_requested")) == 1


async def test_a_fetched_quote_post_is_taken_when_the_request_names_it(
    federation: FederationHarness, quoting_peer: QuotingPeer, event_recorder: EventRecorder
) -> None:
    post_url = await local_post(federation, "p1")
    quote = quoting_peer.note("<p>by reference</p>")
    quoting_peer.serve(quote)

    await send(federation, quoting_peer, quote_request(quoting_peer, post_url, quote["id"]))

    (requested,) = await event_recorder.wait_for("federation.remote_quote_requested")
    assert requested.data["note_id"] == quote["id"]


async def test_an_approved_remote_quote_is_accepted_served_and_revoked(
    federation: FederationHarness, quoting_peer: QuotingPeer, event_recorder: EventRecorder
) -> None:
    post_url = await local_post(federation, "p1")
    quote = quoting_peer.note()
    request = quote_request(quoting_peer, post_url, quote)
    await send(federation, quoting_peer, request)
    await event_recorder.wait_for("federation.remote_quote_requested")
    remix_id = remote_post_id(quote["id"])
    authorization_url = f"http://{DOMAIN}/users/alice/quote_authorizations/{remix_id}"
    assert (await federation.fetch(authorization_url)).status_code == 404

    approved = answered(PostRemixApproved, remix_id, quoting_peer, "p1")
    await federation.events.publish(approved)
    await federation.events.publish(approved)

    (accept,) = await wait_until(lambda: quoting_peer.accepts() or None)
    assert accept["actor"] == f"http://{DOMAIN}/users/alice"
    assert accept["object"]["id"] == request["id"]
    assert accept["result"] == authorization_url
    served = await federation.fetch(authorization_url)
    assert served.status_code == 200
    stamp = served.json()
    assert stamp["type"] == "QuoteAuthorization"
    assert stamp["id"] == authorization_url
    assert stamp["attributedTo"] == f"http://{DOMAIN}/users/alice"
    assert stamp["interactingObject"] == quote["id"]
    assert stamp["interactionTarget"] == post_url
    assert (await federation.fetch(authorization_url.replace("alice", "bob"))).status_code == 404

    await federation.events.publish(answered(PostRemixRevoked, remix_id, quoting_peer, "p1"))

    (delete,) = await wait_until(lambda: quoting_peer.activities("Delete") or None)
    assert delete["object"] == authorization_url
    gone = await federation.fetch(authorization_url)
    assert gone.status_code == 410
    assert gone.json()["formerType"] == "QuoteAuthorization"
    assert len(quoting_peer.accepts()) == 1


async def test_a_revoked_authorization_is_deleted_on_every_server_following_the_author_once(
    federation: FederationHarness,
    quoting_peer: QuotingPeer,
    stranger: QuotingPeer,
    event_recorder: EventRecorder,
) -> None:
    # The stranger's server saw the quote through alice; the quoter follows her too.
    await followed_by_peer(federation, stranger, "alice")
    await followed_by_peer(federation, quoting_peer, "alice")
    post_url = await local_post(federation, "p1")
    quote = quoting_peer.note()
    await send(federation, quoting_peer, quote_request(quoting_peer, post_url, quote))
    await event_recorder.wait_for("federation.remote_quote_requested")
    remix_id = remote_post_id(quote["id"])
    await federation.events.publish(answered(PostRemixApproved, remix_id, quoting_peer, "p1"))

    await federation.events.publish(answered(PostRemixRevoked, remix_id, quoting_peer, "p1"))

    (seen,) = await wait_until(lambda: stranger.activities("Delete") or None)
    (told,) = await wait_until(lambda: quoting_peer.activities("Delete") or None)
    authorization_url = f"http://{DOMAIN}/users/alice/quote_authorizations/{remix_id}"
    assert seen["object"] == told["object"] == authorization_url
    assert seen["id"] == told["id"]
    assert seen["actor"] == f"http://{DOMAIN}/users/alice"
    assert len(stranger.accepts()) == 1  # its follow's: no answer about the quote


async def test_a_refused_remote_quote_is_rejected_and_serves_nothing(
    federation: FederationHarness, quoting_peer: QuotingPeer, event_recorder: EventRecorder
) -> None:
    post_url = await local_post(federation, "p1")
    quote = quoting_peer.note()
    request = quote_request(quoting_peer, post_url, quote)
    await send(federation, quoting_peer, request)
    await event_recorder.wait_for("federation.remote_quote_requested")
    remix_id = remote_post_id(quote["id"])

    await federation.events.publish(answered(PostRemixRejected, remix_id, quoting_peer, "p1"))
    # A later approval (reordered, or forged) sends nothing more.
    await federation.events.publish(answered(PostRemixApproved, remix_id, quoting_peer, "p1"))

    (reject,) = await wait_until(lambda: quoting_peer.activities("Reject") or None)
    assert reject["object"]["id"] == request["id"]
    authorization_url = f"http://{DOMAIN}/users/alice/quote_authorizations/{remix_id}"
    assert (await federation.fetch(authorization_url)).status_code == 404
    assert not quoting_peer.accepts()


async def test_a_quote_request_of_a_deleted_post_is_rejected_once(
    federation: FederationHarness, quoting_peer: QuotingPeer, event_recorder: EventRecorder
) -> None:
    post_url = await local_post(federation, "p1")
    deleted = PostDeleted(post_id="p1", author_id=ALICE.id, coauthor_ids=(), deleted_at=utc_now())
    await federation.events.publish(deleted)
    quote = quoting_peer.note()
    request = quote_request(quoting_peer, post_url, quote)

    await send(federation, quoting_peer, request)
    await send(federation, quoting_peer, quote_request(quoting_peer, post_url, quote))

    (reject,) = await wait_until(lambda: quoting_peer.activities("Reject") or None)
    assert reject["actor"] == f"http://{DOMAIN}/users/alice"
    assert reject["object"]["id"] == request["id"]
    assert not event_recorder.of_type("federation.remote_quote_requested")
    assert len(quoting_peer.activities("Reject")) == 1


async def test_a_local_remix_of_a_local_post_links_an_authorization_served_here(
    federation: FederationHarness,
) -> None:
    await local_post(federation, "p1")
    remix = published("r1", BOB.id).model_copy(update={"remix_of_post_id": "p1"})
    await federation.events.publish(remix)
    approved = PostRemixApproved(
        remix_id="r1",
        remix_author_id=BOB.id,
        original_id="p1",
        original_author_id=ALICE.id,
        status="approved",
        at=utc_now(),
    )
    await federation.events.publish(approved)
    authorization_url = f"http://{DOMAIN}/users/alice/quote_authorizations/r1"

    served = await wait_until(lambda: _ok(federation.fetch(authorization_url)))
    assert served.json()["interactingObject"] == f"http://{DOMAIN}/posts/r1"
    note = (await federation.fetch(f"http://{DOMAIN}/posts/r1")).json()
    assert note["quote"] == f"http://{DOMAIN}/posts/p1"
    assert note["quoteAuthorization"] == authorization_url
