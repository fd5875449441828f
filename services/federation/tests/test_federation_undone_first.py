"""An Undo that arrives before the activity it takes back (servers promise no order) is
remembered for a week (`undone_activities`, a TTL index): the Follow, Like or Invite arriving
after it is not taken. Only the Undo of the activity's own actor counts."""

from typing import Any

from federation_support import FederationHarness, RemotePeer
from test_federation_remote_invitations import invite

from federation.coauthoring.rules import invitation_id_of
from federation.inbox.repository import UNDONE_ACTIVITIES
from shared.testing import EventRecorder, served_over_http, wait_until


async def send(federation: FederationHarness, peer: RemotePeer, activity: dict[str, Any]) -> None:
    assert (await federation.post_signed("/inbox", activity, peer)).status_code == 202


async def followers_of(federation: FederationHarness, handle: str) -> int:
    count: int = (await federation.get(f"/users/{handle}/followers")).json()["totalItems"]
    return count


async def test_a_follow_arriving_after_its_undo_is_not_taken(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    follow = peer.follow("alice")
    await send(federation, peer, peer.undo(follow))

    await send(federation, peer, follow)
    # A follow of bob afterwards is taken: its Accept is the only one.
    await send(federation, peer, peer.follow("bob"))

    (accept,) = await wait_until(lambda: peer.accepts() or None)
    assert accept["object"]["id"] != follow["id"]
    assert await followers_of(federation, "alice") == 0
    (received,) = await event_recorder.wait_for("federation.remote_follow_received")
    assert received.data["activity_id"] != follow["id"]


async def test_a_like_arriving_after_its_undo_is_not_taken(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    like, later = peer.like("p1"), peer.like("p2")
    await send(federation, peer, peer.undo(like["id"]))

    await send(federation, peer, like)
    await send(federation, peer, later)

    (received,) = await event_recorder.wait_for("federation.remote_like_received")
    assert received.data["activity_id"] == later["id"]


async def test_an_invite_arriving_after_its_undo_opens_no_invitation(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    invitation, later = invite(peer), invite(peer)
    await send(federation, peer, peer.undo(invitation))

    await send(federation, peer, invitation)
    await send(federation, peer, later)

    (invited,) = await event_recorder.wait_for("federation.remote_coauthor_invited")
    assert invited.data["invitation_id"] == invitation_id_of(later["id"])
    assert not event_recorder.of_type("federation.remote_invitation_withdrawn")


async def test_another_actors_undo_first_takes_nothing_back_and_is_kept_a_week(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    follow = peer.follow("alice")
    stranger = RemotePeer()
    async with served_over_http(stranger.app()) as url:
        stranger.url = url
        await send(federation, stranger, stranger.undo(follow))

    await send(federation, peer, follow)

    await wait_until(lambda: peer.accepts() or None)
    assert await followers_of(federation, "alice") == 1
    undone = federation.app.state.runtime.db[UNDONE_ACTIVITIES]
    (tombstone,) = await undone.find().to_list()
    assert round((tombstone["expires_at"] - tombstone["undone_at"]).total_seconds()) == 7 * 86400
    indexes = (await undone.index_information()).values()
    assert any(index.get("expireAfterSeconds") == 0 for index in indexes)
