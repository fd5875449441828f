"""Two CoPost instances, a.copost.test and b.copost.test, federating over HTTPS.

Each is a whole local stack whose gateway serves TLS with a certificate of a CA made for the
run (federated_instances.py); everything is asserted through each instance's public HTTP API,
as its users and other servers reach it. The story: follows both ways; a post co-authored on
B reaching A's follower once credited to both its authors, each consent stamp checked from
outside B, and B's edit, a co-author leaving (A's copy credits the author alone) and the
deletion propagating; an author on A inviting a co-author on B, who accepts (or declines) on
B, so that followers on both instances see the post once credited to both, his stamp served
by B checks out, and his leaving takes his name off everywhere, the independent Fedify peer
(following the author, over HTTPS under its own name) included; an invitation B's rules refuse
declined on A at once, and the author's revocation and removal of co-authors there reaching
B; A's like and reply of B's post counted and notified on B, and taken back; a remix on B
of A's post waiting for its author's approval on A, then showing the original until A revokes
it.
"""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from collaboration import (
    accept_invitation,
    coauthor_statuses,
    create_post,
    invitation_status,
    post_coauthors_become,
    received_invitation,
)
from conftest import E2EUser
from federated_instances import (
    PATIENCE_SECONDS,
    Federation,
    Instance,
    await_gone_from_home,
    await_home,
    federated_instances,
    follow_remote,
    remote_post_in_home,
)
from fedify_server import FedifyPeer
from test_media_e2e import uploaded

from shared.remote_accounts import remote_post_id
from shared.testing import wait_until

PEER_NAME = "peer.fedify.test"


@pytest.fixture(scope="module")
async def federation(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Federation]:
    async with federated_instances(
        tmp_path_factory, "a.copost.test", "b.copost.test", peer_name=PEER_NAME
    ) as started:
        yield started


@pytest.fixture
def instances(federation: Federation) -> list[Instance]:
    return federation.instances


def test_the_fedify_peer_runs_beside_the_instances(federation: Federation) -> None:
    """Where Node.js or Fedify is missing, the story below runs without the peer: said here."""
    if federation.peer is None:
        pytest.skip(federation.peer_missing or "no peer")
    assert federation.peer.url == f"https://{PEER_NAME}"


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def followers_count_becomes(user: E2EUser, count: int) -> None:
    async def counted() -> bool:
        profile = await ok(await user.client.get(f"/v1/users/{user.handle}"))
        return bool(profile["followers_count"] == count)

    await wait_until(counted, timeout=PATIENCE_SECONDS, interval=0.2)


async def test_follows_cross_both_ways_and_posts_reach_the_other_instances_home(
    instances: list[Instance],
) -> None:
    a, b = instances
    ana = await a.sign_up("ana")
    bea = await b.sign_up("bea")

    await follow_remote(ana, b.address_of(bea))
    await follow_remote(bea, a.address_of(ana))
    await followers_count_becomes(bea, 1)
    await followers_count_becomes(ana, 1)

    from_a = await ok(await ana.client.post("/v1/posts", json={"text": "Hello from A"}), 201)
    from_b = await ok(await bea.client.post("/v1/posts", json={"text": "Hello from B"}), 201)
    seen_on_b = await remote_post_in_home(bea, a, from_a["id"])
    seen_on_a = await remote_post_in_home(ana, b, from_b["id"])
    assert (seen_on_b["text"], seen_on_b["author"]["handle"]) == (
        "Hello from A",
        a.address_of(ana),
    )
    assert (seen_on_a["text"], seen_on_a["author"]["handle"]) == (
        "Hello from B",
        b.address_of(bea),
    )


async def test_a_coauthored_post_crosses_with_checkable_consent_and_its_changes_follow(
    instances: list[Instance],
) -> None:
    a, b = instances
    reader = await a.sign_up("reader")
    bea = await b.sign_up("bea")
    cai = await b.sign_up("cai", collab_policy="everyone")
    await follow_remote(reader, b.address_of(bea))
    await followers_count_becomes(bea, 1)

    # Published once cai accepts: the one Create carries both credits.
    post = await create_post(bea, "Teh harbour at dusk", [cai], mode="when_accepted")
    await accept_invitation(cai, post["id"])
    await post_coauthors_become(bea, post["id"], {cai.handle: "accepted"})
    shown = await remote_post_in_home(reader, b, post["id"])
    assert (shown["text"], shown["author"]["handle"]) == ("Teh harbour at dusk", b.address_of(bea))
    # A checked cai's stamp on B before crediting her: A's copy is credited to both.
    local_id = remote_post_id(b.note_url(post["id"]))
    await credited_on(reader, local_id, [b.address_of(cai)])

    # From A's side of the network: the Note credits both, and cai's stamp checks out.
    note = await ok(await a.fetch_activity(b.note_url(post["id"])))
    bea_actor, cai_actor = f"{b.url}/users/{bea.handle}", f"{b.url}/users/{cai.handle}"
    assert note["attributedTo"] == [bea_actor, cai_actor]
    [stamp_url] = note["coauthorAuthorization"]
    stamp = await ok(await a.fetch_activity(stamp_url))
    assert stamp["type"] == "CoauthorAuthorization"
    assert (stamp["id"], stamp["attributedTo"]) == (stamp_url, cai_actor)
    assert (stamp["interactingObject"], stamp["interactionTarget"]) == (note["id"], cai_actor)

    # An edit both authors approve on B, adding a picture, becomes the next version in A's
    # home, the picture linked where B serves it, with its alt text.
    picture = await uploaded(bea, "Boats at the quay")
    edit = await ok(
        await bea.client.post(
            f"/v1/posts/{post['id']}/edits",
            json={"text": "The harbour at dusk", "base_version": 1, "media_ids": [picture["id"]]},
        ),
        201,
    )
    await ok(await cai.client.post(f"/v1/posts/{post['id']}/edits/{edit['id']}/approve"))
    edited = await remote_post_in_home(
        reader, b, post["id"], until=lambda shown: shown["text"] == "The harbour at dusk"
    )
    assert edited["edited_at"] is not None
    [medium] = edited["remote_media"]
    assert medium["description"] == "Boats at the quay"
    assert medium["url"].startswith(f"{b.url}/")

    # cai leaves: her stamp is gone for everyone, and the Note credits bea alone.
    await ok(await cai.client.delete(f"/v1/posts/{post['id']}/coauthors/{cai.handle}"), 204)
    await wait_until(lambda: _status_is(a, stamp_url, 410), timeout=PATIENCE_SECONDS, interval=0.2)
    note = await ok(await a.fetch_activity(b.note_url(post["id"])))
    assert (note["attributedTo"], note["coauthorAuthorization"]) == ([bea_actor], [])
    # B's Update reaches A, whose copy no longer credits cai.
    await credited_on(reader, local_id, [])

    # The deletion on B takes the post out of A's home and off A.
    await ok(await bea.client.delete(f"/v1/posts/{post['id']}"), 204)
    await await_gone_from_home(reader, local_id)
    assert (await reader.client.get(f"/v1/posts/{local_id}")).status_code == 404


async def test_a_like_and_a_reply_from_a_reach_bs_post_counted_and_notified_then_taken_back(
    instances: list[Instance],
) -> None:
    a, b = instances
    fan = await a.sign_up("fan")
    star = await b.sign_up("star")
    await follow_remote(fan, b.address_of(star))
    await followers_count_becomes(star, 1)
    post = await ok(await star.client.post("/v1/posts", json={"text": "Come and see"}), 201)
    shown = await remote_post_in_home(fan, b, post["id"])

    await ok(await fan.client.put(f"/v1/posts/{shown['id']}/like"), 204)
    reply = await ok(
        await fan.client.post(f"/v1/posts/{shown['id']}/replies", json={"text": "On my way"}),
        201,
    )

    await counts_on(star, post["id"], likes=1, replies=1)
    replies = await ok(await star.client.get(f"/v1/posts/{post['id']}/replies"))
    assert [(r["text"], r["author"]["handle"]) for r in replies["items"]] == [
        ("On my way", a.address_of(fan))
    ]
    for kind in ("post.liked", "post.replied"):
        told = await notified(star, kind, post["id"])
        assert told["actor"]["handle"] == a.address_of(fan)
    # B reads the reply's Note where A serves it.
    reply_note = await ok(await b.fetch_activity(a.note_url(reply["id"])))
    assert reply_note["inReplyTo"] == b.note_url(post["id"])

    # Unliked and deleted on A: B counts neither any more.
    await ok(await fan.client.delete(f"/v1/posts/{shown['id']}/like"), 204)
    await ok(await fan.client.delete(f"/v1/posts/{reply['id']}"), 204)
    await counts_on(star, post["id"], likes=0, replies=0)


async def test_an_author_on_a_invites_a_coauthor_on_b_who_accepts_then_leaves(
    federation: Federation,
) -> None:
    a, b = federation.instances
    peer = federation.peer
    ana, ana_fan = await a.sign_up("ana"), await a.sign_up("anafan")
    bob, bob_fan = await b.sign_up("bob", collab_policy="everyone"), await b.sign_up("bobfan")
    ana_actor, bob_actor = f"{a.url}/users/{ana.handle}", f"{b.url}/users/{bob.handle}"
    if peer is not None:
        await peer_follows(peer, ana_actor)
    await ok(await ana_fan.client.put(f"/v1/users/{ana.handle}/follow"), 204)
    await ok(await bob_fan.client.put(f"/v1/users/{bob.handle}/follow"), 204)
    bob_on_a = b.address_of(bob)
    await ok(await ana.client.get(f"/v1/users/{bob_on_a}"))

    # Published once bob accepts, on B, from the invitation B shows him.
    post = await ok(
        await ana.client.post(
            "/v1/posts",
            json={"text": "Two shores", "coauthors": [bob_on_a], "publish_mode": "when_accepted"},
        ),
        201,
    )
    on_b = remote_post_id(a.note_url(post["id"]))
    told = await notified(bob, "invitation.received", on_b)
    assert told["actor"]["handle"] == a.address_of(ana)
    await accept_invitation(bob, on_b)

    # Each follower's home holds the post once, credited to ana first, then bob.
    a_home = await await_home(ana_fan, lambda p: p["id"] == post["id"], until=_credits_a_coauthor)
    assert (a_home["author"]["handle"], _accepted(a_home)) == (ana.handle, [bob_on_a])
    b_home = await remote_post_in_home(bob_fan, a, post["id"], until=_credits_a_coauthor)
    assert (b_home["author"]["handle"], _accepted(b_home)) == (a.address_of(ana), [bob.handle])

    # From outside: A's Note credits both, and bob's stamp on B names him and the Note.
    note = await ok(await b.fetch_activity(a.note_url(post["id"])))
    assert note["attributedTo"] == [ana_actor, bob_actor]
    [stamp_url] = note["coauthorAuthorization"]
    assert stamp_url.startswith(f"{b.url}/users/{bob.handle}/")
    stamp = await ok(await a.fetch_activity(stamp_url))
    assert (stamp["type"], stamp["attributedTo"]) == ("CoauthorAuthorization", bob_actor)
    assert (stamp["interactingObject"], stamp["interactionTarget"]) == (note["id"], bob_actor)
    if peer is not None:
        # The peer took A's Create once (Fedify checked A's signature) and checked bob's
        # stamp where B serves it, with its own library.
        create = await peer_took(peer, "create", note["id"])
        assert create["attributedTo"] == [ana_actor, bob_actor]
        assert [(s["id"], s["coauthor"], s["valid"]) for s in create["stamps"]] == [
            (stamp_url, bob_actor, True)
        ]

    await wait_until(
        lambda: _on_profile(bob_fan, bob, on_b), timeout=PATIENCE_SECONDS, interval=0.2
    )

    # bob leaves on B: his stamp is gone, A drops him, and B credits him no more.
    await ok(await bob.client.delete(f"/v1/posts/{on_b}/coauthors/{bob.handle}"), 204)
    await wait_until(lambda: _status_is(a, stamp_url, 410), timeout=PATIENCE_SECONDS, interval=0.2)
    await credited_on(ana_fan, post["id"], [])
    note = await ok(await b.fetch_activity(a.note_url(post["id"])))
    assert (note["attributedTo"], note["coauthorAuthorization"]) == ([ana_actor], [])
    await credited_on(bob_fan, on_b, [])
    assert not await _on_profile(bob_fan, bob, on_b)
    if peer is not None:
        # A's Update reaches the peer: the Note credits ana alone, and B's stamp is gone.
        update = await peer_took(peer, "update", note["id"], until=_credits_one)
        assert (update["actor"], update["stamps"]) == (ana_actor, [])
        assert (await peer.ask("status", url=stamp_url))["status"] == 410
        assert len(_took(peer, "create", note["id"])) == 1


async def peer_follows(peer: FedifyPeer, actor: str) -> None:
    """The peer follows `actor`, found by WebFinger, once its server accepts."""
    followed = await peer.ask("follow", actor=actor)
    assert followed["followed"] == actor

    def accepted() -> bool:
        return any(e["object"] == followed["follow"] for e in peer.seen("accept"))

    await wait_until(accepted, timeout=PATIENCE_SECONDS, interval=0.2)


async def peer_took(peer: FedifyPeer, kind: str, note: str, *, until: Any = bool) -> dict[str, Any]:
    """The one `kind` activity about `note` the peer's inbox took, once `until(it)` holds."""

    def took() -> dict[str, Any] | None:
        found = [event for event in _took(peer, kind, note) if until(event)]
        assert len(found) <= 1, f"the peer took {len(found)} of them"
        return found[0] if found else None

    return await wait_until(took, timeout=PATIENCE_SECONDS, interval=0.2)


def _took(peer: FedifyPeer, kind: str, note: str) -> list[dict[str, Any]]:
    return [event for event in peer.seen(kind) if event["note"] == note]


def _credits_one(event: dict[str, Any]) -> bool:
    return len(event["attributedTo"]) == 1


async def test_a_declined_remote_invitation_credits_nobody_on_either_instance(
    instances: list[Instance],
) -> None:
    a, b = instances
    ana, bob = await a.sign_up("ana"), await b.sign_up("bob", collab_policy="everyone")
    bob_on_a = b.address_of(bob)
    await ok(await ana.client.get(f"/v1/users/{bob_on_a}"))
    post = await ok(
        await ana.client.post("/v1/posts", json={"text": "Asked", "coauthors": [bob_on_a]}), 201
    )
    assert coauthor_statuses(post) == {bob_on_a: "invited"}
    on_b = remote_post_id(a.note_url(post["id"]))
    await notified(bob, "invitation.received", on_b)
    invitation = await received_invitation(bob, on_b)
    await ok(await bob.client.post(f"/v1/invitations/{invitation['id']}/decline"))

    await post_coauthors_become(ana, post["id"], {})
    note = await ok(await b.fetch_activity(a.note_url(post["id"])))
    assert (note["attributedTo"], note.get("coauthorAuthorization", [])) == (
        [f"{a.url}/users/{ana.handle}"],
        [],
    )
    await post_coauthors_become(bob, on_b, {})


async def test_an_authors_revocation_and_removal_on_a_reach_the_invitees_on_b(
    instances: list[Instance],
) -> None:
    a, b = instances
    ana = await a.sign_up("ana")
    bob = await b.sign_up("bob", collab_policy="everyone")
    cal = await b.sign_up("cal", collab_policy="everyone")
    bob_on_a, cal_on_a = b.address_of(bob), b.address_of(cal)
    for address in (bob_on_a, cal_on_a):
        await ok(await ana.client.get(f"/v1/users/{address}"))
    post = await ok(
        await ana.client.post(
            "/v1/posts", json={"text": "Drafts", "coauthors": [bob_on_a, cal_on_a]}
        ),
        201,
    )
    on_b = remote_post_id(a.note_url(post["id"]))
    await notified(bob, "invitation.received", on_b)
    await notified(cal, "invitation.received", on_b)
    bobs = await received_invitation(bob, on_b)
    await accept_invitation(cal, on_b)
    await post_coauthors_become(ana, post["id"], {bob_on_a: "invited", cal_on_a: "accepted"})
    cals_stamp = f"{b.url}/users/{cal.handle}/coauthorizations/{on_b}"
    await wait_until(lambda: _status_is(b, cals_stamp, 200), timeout=PATIENCE_SECONDS, interval=0.2)

    # ana revokes bob's invitation on A: B revokes it, so bob can answer it no more.
    await ok(await ana.client.delete(f"/v1/posts/{post['id']}/coauthors/{bob_on_a}"), 204)
    await invitation_status(bob, bobs["id"], "revoked")
    # ana removes cal on A: B credits her no more, and her stamp there is gone.
    await ok(await ana.client.delete(f"/v1/posts/{post['id']}/coauthors/{cal_on_a}"), 204)
    await wait_until(lambda: _status_is(b, cals_stamp, 410), timeout=PATIENCE_SECONDS, interval=0.2)
    await post_coauthors_become(cal, on_b, {})


async def test_an_invitation_bs_rules_refuse_is_declined_on_a_and_never_reaches_bob(
    instances: list[Instance],
) -> None:
    a, b = instances
    # By default only accounts bob follows may invite him: ana's Invite is refused on B.
    ana, bob = await a.sign_up("ana"), await b.sign_up("bob")
    bob_on_a = b.address_of(bob)
    await ok(await ana.client.get(f"/v1/users/{bob_on_a}"))
    post = await ok(
        await ana.client.post("/v1/posts", json={"text": "Asked", "coauthors": [bob_on_a]}), 201
    )
    assert coauthor_statuses(post) == {bob_on_a: "invited"}

    # B's Reject declines it on A, without waiting for the invitation's expiry.
    await post_coauthors_become(ana, post["id"], {})
    on_b = remote_post_id(a.note_url(post["id"]))
    invitations = await ok(await bob.client.get("/v1/invitations", params={"limit": 100}))
    assert [i for i in invitations["items"] if i["post_id"] == on_b] == []


async def test_a_remix_on_b_of_a_post_on_a_waits_for_approval_on_a_and_goes_when_revoked(
    instances: list[Instance],
) -> None:
    a, b = instances
    ana, rex = await a.sign_up("ana"), await b.sign_up("rex")
    await ok(await ana.client.patch("/v1/me", json={"remix_approval": "manual"}))
    await follow_remote(rex, a.address_of(ana))
    await followers_count_becomes(ana, 1)
    original = await ok(await ana.client.post("/v1/posts", json={"text": "Sea glass"}), 201)
    seen = await remote_post_in_home(rex, a, original["id"])

    asked = await ok(
        await rex.client.post("/v1/posts", json={"text": "My take", "remix_of": seen["id"]}), 201
    )
    assert asked["remix_of"]["status"] == "pending"
    # ana sees the request on A and approves it there.
    on_a = remote_post_id(b.note_url(asked["id"]))
    request = await wait_until(
        lambda: _remix_request(ana, on_a), timeout=PATIENCE_SECONDS, interval=0.2
    )
    assert request["remix"]["author"]["handle"] == b.address_of(rex)
    await notified(ana, "remix.requested", on_a)
    await ok(await ana.client.post(f"/v1/remix-requests/{request['id']}/approve"))

    shown = await remix_of_becomes(rex, asked["id"], "approved")
    assert (shown["post_id"], shown["post"]["text"]) == (seen["id"], "Sea glass")
    assert shown["post"]["author"]["handle"] == a.address_of(ana)

    # ana revokes on A: B's remix shows the original no more.
    await ok(await ana.client.delete(f"/v1/posts/{original['id']}/remixes/{on_a}"), 204)
    revoked = await remix_of_becomes(rex, asked["id"], "revoked")
    assert revoked["post"] is None


async def remix_of_becomes(viewer: E2EUser, remix_id: str, status: str) -> dict[str, Any]:
    async def read() -> dict[str, Any] | None:
        remix_of: dict[str, Any] = (await ok(await viewer.client.get(f"/v1/posts/{remix_id}")))[
            "remix_of"
        ]
        return remix_of if remix_of["status"] == status else None

    return await wait_until(read, timeout=PATIENCE_SECONDS, interval=0.2)


def _accepted(post: dict[str, Any]) -> list[str]:
    return [c["user"]["handle"] for c in post["coauthors"] if c["status"] == "accepted"]


def _credits_a_coauthor(post: dict[str, Any]) -> bool:
    return bool(_accepted(post))


async def _on_profile(viewer: E2EUser, owner: E2EUser, post_id: str) -> bool:
    page = await ok(await viewer.client.get(f"/v1/users/{owner.handle}/posts"))
    return any(post["id"] == post_id for post in page["items"])


async def _remix_request(author: E2EUser, remix_id: str) -> dict[str, Any] | None:
    page = await ok(await author.client.get("/v1/remix-requests"))
    return next((r for r in page["items"] if r["remix"]["id"] == remix_id), None)


async def credited_on(reader: E2EUser, post_id: str, coauthors: list[str]) -> None:
    """Waits until the post, read on the reader's instance, credits exactly `coauthors`."""

    async def credited() -> bool:
        post = await ok(await reader.client.get(f"/v1/posts/{post_id}"))
        return [c["user"]["handle"] for c in post["coauthors"] if c["status"] == "accepted"] == (
            coauthors
        )

    await wait_until(credited, timeout=PATIENCE_SECONDS, interval=0.2)


async def counts_on(author: E2EUser, post_id: str, *, likes: int, replies: int) -> None:
    async def counted() -> bool:
        post = await ok(await author.client.get(f"/v1/posts/{post_id}"))
        return bool((post["like_count"], post["reply_count"]) == (likes, replies))

    await wait_until(counted, timeout=PATIENCE_SECONDS, interval=0.2)


async def notified(account: E2EUser, kind: str, post_id: str) -> dict[str, Any]:
    """The account's notification of `kind` about the post, once it has one."""

    async def find() -> dict[str, Any] | None:
        page = await ok(await account.client.get("/v1/notifications", params={"limit": 100}))
        found = [n for n in page["items"] if n["type"] == kind and n["post_id"] == post_id]
        return found[0] if found else None

    return await wait_until(find, timeout=PATIENCE_SECONDS, interval=0.2)


async def _status_is(instance: Instance, url: str, status: int) -> bool:
    return (await instance.fetch_activity(url)).status_code == status
