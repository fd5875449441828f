"""Remote likes, shares and replies POSTed to the inboxes, signed, become the federation
service's facts on the broker: one per activity however often it is sent, their Undo and Delete
taken only from their own actor, and what is about no local post left alone."""

import pytest
from federation_support import DOMAIN, FederationHarness, RemotePeer

from federation.engagement.repository import REMOTE_ENGAGEMENTS
from federation.engagement.rules import reply_id_of
from shared.outbox import OUTBOX_FIELD
from shared.remote_accounts import remote_user_id
from shared.testing import EventRecorder, wait_until

FACTS = {
    "federation.remote_like_received",
    "federation.remote_like_undone",
    "federation.remote_announce_received",
    "federation.remote_reply_received",
    "federation.remote_reply_deleted",
}


async def facts_published(federation: FederationHarness) -> None:
    """Every fact written so far has left the outbox (the broker confirmed it)."""
    engagements = federation.app.state.runtime.db[REMOTE_ENGAGEMENTS]

    async def drained() -> bool:
        pending = {OUTBOX_FIELD: {"$exists": True, "$ne": []}}
        return await engagements.count_documents(pending) == 0

    await wait_until(drained)


@pytest.mark.parametrize("inbox", ["/inbox", "/users/alice/inbox"])
async def test_a_signed_like_of_a_local_post_is_published_as_a_fact_once(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer, inbox: str
) -> None:
    like = peer.like("p1")

    first = await federation.post_signed(inbox, like, peer)
    again = await federation.post_signed(inbox, like, peer)

    assert (first.status_code, again.status_code) == (202, 202)
    [fact] = await event_recorder.wait_for("federation.remote_like_received")
    assert fact.data["activity_id"] == like["id"]
    assert fact.data["user_id"] == remote_user_id(peer.actor_id)
    assert fact.data["post_id"] == "p1"
    await facts_published(federation)
    assert len(event_recorder.of_type("federation.remote_like_received")) == 1


async def test_an_undo_of_a_like_is_published_whether_it_embeds_the_like_or_names_it(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    embedded, named = peer.like("p1"), peer.like("p2")
    for like in (embedded, named):
        assert (await federation.post_signed("/inbox", like, peer)).status_code == 202

    await federation.post_signed("/inbox", peer.undo(embedded), peer)
    await federation.post_signed("/inbox", peer.undo(named["id"]), peer)

    undone = await event_recorder.wait_for("federation.remote_like_undone", count=2)
    assert sorted((f.data["post_id"], f.data["activity_id"]) for f in undone) == [
        ("p1", embedded["id"]),
        ("p2", named["id"]),
    ]


async def test_a_reply_is_published_as_text_and_its_delete_after_it(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    create = peer.reply("p1", '<p><a class="mention">@alice</a> Lovely <b>photo</b></p>')
    note_id = create["object"]["id"]

    assert (await federation.post_signed("/inbox", create, peer)).status_code == 202
    assert (await federation.post_signed("/inbox", peer.delete(note_id), peer)).status_code == 202

    [received] = await event_recorder.wait_for("federation.remote_reply_received")
    assert received.data["text"] == "Lovely photo"
    assert received.data["reply_id"] == reply_id_of(note_id)
    assert (received.data["post_id"], received.data["note_id"]) == ("p1", note_id)
    [deleted] = await event_recorder.wait_for("federation.remote_reply_deleted")
    assert (deleted.data["reply_id"], deleted.data["post_id"]) == (reply_id_of(note_id), "p1")
    assert deleted.data["user_id"] == remote_user_id(peer.actor_id)


async def test_a_share_is_published_and_its_undo_withdraws_nothing(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    announce = peer.like("p1", kind="Announce")

    await federation.post_signed("/inbox", announce, peer)
    await federation.post_signed("/inbox", peer.undo(announce), peer)

    [fact] = await event_recorder.wait_for("federation.remote_announce_received")
    assert (fact.data["activity_id"], fact.data["post_id"]) == (announce["id"], "p1")
    stored = await federation.app.state.runtime.db[REMOTE_ENGAGEMENTS].find_one(
        {"_id": announce["id"]}
    )
    assert stored["undone_at"] is not None


async def test_what_is_about_no_local_post_is_accepted_and_left_alone(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    elsewhere = peer.like("p1") | {"object": "https://elsewhere.example/posts/p1"}
    private = peer.reply("p1", "<p>psst</p>")
    private["object"]["to"] = [f"http://{DOMAIN}/users/alice"]

    answers = [
        await federation.post_signed("/inbox", activity, peer)
        for activity in (elsewhere, private, peer.delete(f"{peer.url}/notes/unknown"))
    ]

    assert [answer.status_code for answer in answers] == [202, 202, 202]
    engagements = federation.app.state.runtime.db[REMOTE_ENGAGEMENTS]
    assert await engagements.count_documents({}) == 0
    assert [e for e in event_recorder.events if e.type in FACTS] == []


async def test_an_undo_of_another_actors_like_takes_nothing_back(
    event_recorder: EventRecorder, federation: FederationHarness, peer: RemotePeer
) -> None:
    like = peer.like("p1")
    await federation.post_signed("/inbox", like, peer)
    other = RemotePeer()
    async with other.served():
        undo = other.undo(like)  # signed by the other actor, about the first one's Like

        answer = await federation.post_signed("/inbox", undo, other)

    assert answer.status_code == 202
    await event_recorder.wait_for("federation.remote_like_received")
    await facts_published(federation)
    assert event_recorder.of_type("federation.remote_like_undone") == []
