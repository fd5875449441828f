"""Local accounts invited to co-author a remote author's post: the author's signed Invite of
their Note takes the Note in as a remote post and becomes one fact for the posts service; our
user's accept or decline there sends the author's server an Accept (with the consent stamp
served here) or a Reject, once; their leaving the post sends a Delete of the stamp, which then
answers 410. An Invite for nobody here, or of a Note not the sender's, takes nothing."""

import uuid
from datetime import UTC, datetime
from typing import Any

from federation_support import DOMAIN, FederationHarness, RemotePeer

from federation.coauthoring.rules import invitation_id_of
from federation.remote_posts.repository import REMOTE_NOTES
from shared.events.invitations import InvitationAccepted, InvitationDeclined
from shared.events.posts import PostCoauthorRemoved
from shared.remote_accounts import remote_post_id, remote_user_id
from shared.testing import BOB, EventRecorder, wait_until

BOB_ACTOR = f"http://{DOMAIN}/users/bob"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def invite(peer: RemotePeer, target: str = BOB_ACTOR, **note: Any) -> dict[str, Any]:
    """The peer's author inviting `target` to co-author its Note (as a CoPost server does)."""
    note_id = f"{peer.url}/posts/{uuid.uuid4()}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.actor_id}#invites/{uuid.uuid4()}",
        "type": "Invite",
        "actor": peer.actor_id,
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": peer.actor_id,
            "content": "<p>Our song</p>",
            "to": [PUBLIC],
        }
        | note,
        "target": target,
        "to": [target],
    }


def ids(invitation: dict[str, Any], peer: RemotePeer) -> dict[str, str]:
    return {
        "invitation_id": invitation_id_of(invitation["id"]),
        "post_id": remote_post_id(invitation["object"]["id"]),
        "inviter_id": remote_user_id(peer.actor_id),
        "invitee_id": BOB,
    }


async def invited_bob(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> dict[str, Any]:
    invitation = invite(peer)
    first = await federation.post_signed("/inbox", invitation, peer)
    again = await federation.post_signed("/users/bob/inbox", invitation, peer)
    assert (first.status_code, again.status_code) == (202, 202)
    await event_recorder.wait_for("federation.remote_coauthor_invited")
    return invitation


async def test_an_invite_of_a_local_user_takes_the_note_in_and_is_one_fact(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    invitation = await invited_bob(federation, peer, event_recorder)

    [post] = await event_recorder.wait_for("federation.remote_post_received")
    assert post.data["note_id"] == invitation["object"]["id"]
    assert post.data["text"] == "Our song"
    [fact] = await event_recorder.wait_for("federation.remote_coauthor_invited")
    expected = ids(invitation, peer)
    assert fact.data["invitation_id"] == expected["invitation_id"]
    assert fact.data["post_id"] == expected["post_id"] == post.data["post_id"]
    assert fact.data["author_id"] == expected["inviter_id"]
    assert fact.data["invitee_id"] == BOB
    assert len(event_recorder.of_type("federation.remote_coauthor_invited")) == 1


async def test_an_accept_here_is_sent_with_the_stamp_served_here_until_they_leave(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    invitation = await invited_bob(federation, peer, event_recorder)
    accepted = InvitationAccepted(**ids(invitation, peer), responded_at=datetime.now(UTC))

    await federation.events.publish(accepted, accepted)

    (accept,) = await wait_until(lambda: peer.activities("Accept") or None)
    assert accept["actor"] == BOB_ACTOR
    assert accept["object"] == invitation["id"]
    stamp_url = accept["result"]
    assert stamp_url == f"{BOB_ACTOR}/coauthorizations/{ids(invitation, peer)['post_id']}"
    stamp = (await federation.fetch(stamp_url)).json()
    assert (stamp["id"], stamp["type"]) == (stamp_url, "CoauthorAuthorization")
    assert stamp["attributedTo"] == stamp["interactionTarget"] == BOB_ACTOR
    assert stamp["interactingObject"] == invitation["object"]["id"]

    left = PostCoauthorRemoved(
        post_id=ids(invitation, peer)["post_id"],
        author_id=remote_user_id(peer.actor_id),
        coauthor_id=BOB,
        reason="left",
        removed_at=datetime.now(UTC),
    )
    await federation.events.publish(left, left)

    (delete,) = await wait_until(lambda: peer.activities("Delete") or None)
    assert (delete["actor"], delete["object"]) == (BOB_ACTOR, stamp_url)
    gone = await federation.fetch(stamp_url)
    assert gone.status_code == 410
    assert gone.json()["formerType"] == "CoauthorAuthorization"
    assert len(peer.activities("Accept")) == 1


async def test_a_decline_here_is_a_reject_and_serves_no_stamp(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    invitation = await invited_bob(federation, peer, event_recorder)

    declined = InvitationDeclined(**ids(invitation, peer), responded_at=datetime.now(UTC))
    await federation.events.publish(declined)

    (reject,) = await wait_until(lambda: peer.activities("Reject") or None)
    assert (reject["actor"], reject["object"]) == (BOB_ACTOR, invitation["id"])
    stamp_url = f"{BOB_ACTOR}/coauthorizations/{ids(invitation, peer)['post_id']}"
    assert (await federation.fetch(stamp_url)).status_code == 404


async def test_an_invite_for_nobody_here_or_of_a_note_not_the_senders_takes_nothing(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    for invitation in [
        invite(peer, target=f"http://{DOMAIN}/users/nobody"),
        invite(peer, target="https://elsewhere.test/users/bob"),
        invite(peer, attributedTo="https://elsewhere.test/users/eve"),
        invite(peer, id="https://elsewhere.test/posts/1"),
        invite(peer, to=["https://elsewhere.test/users/eve"]),  # not public
    ]:
        answer = await federation.post_signed("/inbox", invitation, peer)
        assert answer.status_code == 202

    notes = federation.app.state.runtime.db[REMOTE_NOTES]
    assert await notes.count_documents({}) == 0
    assert event_recorder.of_type("federation.remote_coauthor_invited") == []
