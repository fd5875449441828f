"""Remote accounts invited to co-author local posts: the invitations service's
invitation.created sends the invited actor a signed Invite of the post's Note; the actor's own
Accept (with its consent stamp) or Reject becomes one fact for the invitations service, whatever
is repeated or comes from someone else; the accepted co-author is credited in the Note (their
stamp linked) and their server gets the Create and Updates; a Delete of the stamp is their
leaving."""

from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from federation_support import (
    DOMAIN,
    PUBLISHED,
    FederationHarness,
    RemotePeer,
    look_up,
    published,
)

from federation.coauthoring.repository import REMOTE_INVITATIONS
from federation.core.signatures import verify
from shared.clock import utc_now
from shared.events.invitations import InvitationCreated, InvitationExpired
from shared.events.posts import PostCoauthorRemoved
from shared.outbox import OUTBOX_FIELD
from shared.remote_accounts import remote_user_id
from shared.testing import ALICE, EventRecorder, served_over_http, wait_until

ALICE_ACTOR = f"http://{DOMAIN}/users/alice"
INVITATION = "0f1e2d3c4b5a49788796a5b4c3d2e1f0"
POST = "p-remote-coauthor"


async def invited(federation: FederationHarness, peer: RemotePeer) -> dict[str, Any]:
    """The Invite the peer's actor received once alice invited it to co-author POST."""
    assert await look_up(federation, peer.handle) is not None
    created = InvitationCreated(
        invitation_id=INVITATION,
        post_id=POST,
        inviter_id=ALICE,
        invitee_id=remote_user_id(peer.actor_id),
        created_at=PUBLISHED,
        expires_at=PUBLISHED + timedelta(days=7),
        post_text="Our <song>",
    )
    await federation.events.publish(created)
    await federation.events.publish(created)  # a redelivery sends nothing more
    (invite,) = await wait_until(lambda: peer.activities("Invite") or None)
    return invite


def accepted(peer: RemotePeer, invite: dict[str, Any] | str) -> dict[str, Any]:
    """The peer's Accept, as a CoPost server sends it: with its consent stamp as `result`."""
    return peer.answer("Accept", invite) | {"result": f"{peer.actor_id}/coauthorizations/{POST}"}


async def stored(federation: FederationHarness) -> dict[str, Any]:
    document = await federation.app.state.runtime.db[REMOTE_INVITATIONS].find_one(
        {"_id": INVITATION}
    )
    assert document is not None
    return dict(document)


async def unchanged(federation: FederationHarness) -> None:
    """Still pending, and nothing told to anyone since the Invite was sent."""
    await wait_until(lambda: _drained(federation))
    document = await stored(federation)
    assert (document["state"], document["stamp_url"]) == ("pending", None)


async def _drained(federation: FederationHarness) -> bool:
    invitations = federation.app.state.runtime.db[REMOTE_INVITATIONS]
    pending = {OUTBOX_FIELD: {"$exists": True, "$ne": []}}
    return await invitations.count_documents(pending) == 0


async def test_inviting_a_remote_account_sends_it_a_signed_invite_of_the_note(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    invite = await invited(federation, peer)

    assert invite["type"] == "Invite"
    assert invite["actor"] == ALICE_ACTOR
    assert invite["target"] == peer.actor_id
    assert invite["to"] == [peer.actor_id]
    note = invite["object"]
    assert note["id"] == f"http://{DOMAIN}/posts/{POST}"
    assert note["attributedTo"] == ALICE_ACTOR
    assert note["content"] == "<p>Our &lt;song&gt;</p>"
    delivered = peer.received[-1]
    assert delivered.url == f"{peer.url}/inbox"  # its server's shared inbox
    alice = (await federation.get("/users/alice")).json()["publicKey"]["publicKeyPem"]
    verify(delivered, _rsa(alice), now=utc_now(), max_age=timedelta(minutes=5))
    assert len(peer.activities("Invite")) == 1


async def test_the_invited_actors_accept_is_one_fact_however_often_it_comes(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    invite = await invited(federation, peer)
    accept = accepted(peer, invite)

    first = await federation.post_signed("/inbox", accept, peer)
    again = await federation.post_signed("/inbox", accepted(peer, invite["id"]), peer)
    late_reject = await federation.post_signed("/inbox", peer.answer("Reject", invite), peer)

    assert (first.status_code, again.status_code, late_reject.status_code) == (202, 202, 202)
    [fact] = await event_recorder.wait_for("federation.remote_invitation_answered")
    assert fact.data["activity_id"] == accept["id"]
    assert fact.data["invitation_id"] == INVITATION
    assert fact.data["invitee_id"] == remote_user_id(peer.actor_id)
    assert fact.data["accepted"] is True
    document = await stored(federation)
    assert (document["state"], document["stamp_url"]) == ("accepted", accept["result"])
    await wait_until(lambda: _drained(federation))
    assert len(event_recorder.of_type("federation.remote_invitation_answered")) == 1


async def test_a_reject_is_a_decline(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    invite = await invited(federation, peer)

    await federation.post_signed("/inbox", peer.answer("Reject", invite), peer)

    [fact] = await event_recorder.wait_for("federation.remote_invitation_answered")
    assert fact.data["accepted"] is False
    assert (await stored(federation))["state"] == "declined"


async def test_answers_from_another_actor_of_no_invite_or_without_a_stamp_change_nothing(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    invite = await invited(federation, peer)
    stranger = RemotePeer()
    async with served_over_http(stranger.app()) as url:
        stranger.url = url
        # Another server's actor answers alice's Invite to the peer: not theirs to answer.
        not_theirs = await federation.post_signed("/inbox", accepted(stranger, invite), stranger)
    unknown = await federation.post_signed(
        "/inbox", accepted(peer, f"{ALICE_ACTOR}#invites/nothing"), peer
    )
    no_stamp = await federation.post_signed("/inbox", peer.answer("Accept", invite), peer)
    elsewhere = peer.answer("Accept", invite) | {"result": "http://elsewhere.test/stamp"}
    stamp_elsewhere = await federation.post_signed("/inbox", elsewhere, peer)

    answers = [not_theirs, unknown, no_stamp, stamp_elsewhere]
    assert [answer.status_code for answer in answers] == [202] * 4
    await unchanged(federation)


async def test_an_answer_after_the_invitation_expired_here_changes_nothing(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    invite = await invited(federation, peer)
    await federation.events.publish(
        InvitationExpired(
            invitation_id=INVITATION,
            post_id=POST,
            inviter_id=ALICE,
            invitee_id=remote_user_id(peer.actor_id),
            expired_at=PUBLISHED + timedelta(days=7),
        )
    )

    answer = await federation.post_signed("/inbox", accepted(peer, invite), peer)

    assert answer.status_code == 202
    document = await stored(federation)
    assert (document["state"], document["stamp_url"]) == ("closed", None)
    await wait_until(lambda: _drained(federation))
    assert event_recorder.of_type("federation.remote_invitation_answered") == []


async def test_an_accepted_coauthor_is_credited_with_their_stamp_and_their_server_told(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    invite = await invited(federation, peer)
    accept = accepted(peer, invite)
    await federation.post_signed("/inbox", accept, peer)
    peer_id = remote_user_id(peer.actor_id)

    # Nobody on the peer's server follows alice: it gets the Create as the co-author's server.
    await federation.events.publish(published(POST, ALICE, peer_id))

    (create,) = await wait_until(lambda: peer.activities("Create") or None)
    note = create["object"]
    assert note["attributedTo"] == [ALICE_ACTOR, peer.actor_id]
    assert note["coauthorAuthorization"] == [accept["result"]]
    assert peer.actor_id in note["cc"]
    served = (await federation.fetch(note["id"])).json()
    assert served["attributedTo"] == note["attributedTo"]
    assert served["coauthorAuthorization"] == note["coauthorAuthorization"]


async def test_a_delete_of_the_stamp_is_the_coauthor_leaving_and_the_note_drops_them(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    invite = await invited(federation, peer)
    accept = accepted(peer, invite)
    await federation.post_signed("/inbox", accept, peer)
    peer_id = remote_user_id(peer.actor_id)
    await federation.events.publish(published(POST, ALICE, peer_id))
    await wait_until(lambda: peer.activities("Create") or None)

    withdrawal = peer.delete(accept["result"])
    await federation.post_signed("/inbox", withdrawal, peer)
    await federation.post_signed("/inbox", peer.delete(accept["result"]) | {"id": "x"}, peer)

    [left] = await event_recorder.wait_for("federation.remote_coauthor_left")
    assert left.data["activity_id"] == withdrawal["id"]
    assert (left.data["post_id"], left.data["coauthor_id"]) == (POST, peer_id)
    # The posts service takes it as a leave; its post.coauthor_removed updates every copy.
    await federation.events.publish(
        PostCoauthorRemoved(
            post_id=POST,
            author_id=ALICE,
            coauthor_id=peer_id,
            reason="left",
            removed_at=PUBLISHED + timedelta(minutes=5),
        )
    )
    (update,) = await wait_until(lambda: peer.activities("Update") or None)
    assert update["object"]["attributedTo"] == [ALICE_ACTOR]
    assert update["object"]["coauthorAuthorization"] == []
    await wait_until(lambda: _drained(federation))
    assert len(event_recorder.of_type("federation.remote_coauthor_left")) == 1


def _rsa(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return key
