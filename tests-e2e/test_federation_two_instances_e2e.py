"""Two CoPost instances, a.copost.test and b.copost.test, federating over HTTPS.

Each is a whole local stack whose gateway serves TLS with a certificate of a CA made for the
run (federated_instances.py); everything is asserted through each instance's public HTTP API,
as its users and other servers reach it. The story: follows both ways, a post co-authored on
B reaching A's follower once credited to both its authors, each consent stamp checked from
outside B, and B's edit, a co-author leaving (A's copy credits the author alone) and the
deletion propagating; A's like and reply of B's post counted and notified on B, and taken back.
"""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from collaboration import accept_invitation, create_post, post_coauthors_become
from conftest import E2EUser
from federated_instances import (
    PATIENCE_SECONDS,
    Instance,
    await_gone_from_home,
    federated_instances,
    follow_remote,
    remote_post_in_home,
)

from shared.remote_accounts import remote_post_id
from shared.testing import wait_until


@pytest.fixture(scope="module")
async def instances(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[list[Instance]]:
    async with federated_instances(tmp_path_factory, "a.copost.test", "b.copost.test") as both:
        yield both


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

    # An edit both authors approve on B becomes the next version in A's home.
    edit = await ok(
        await bea.client.post(
            f"/v1/posts/{post['id']}/edits", json={"text": "The harbour at dusk", "base_version": 1}
        ),
        201,
    )
    await ok(await cai.client.post(f"/v1/posts/{post['id']}/edits/{edit['id']}/approve"))
    edited = await remote_post_in_home(
        reader, b, post["id"], until=lambda shown: shown["text"] == "The harbour at dusk"
    )
    assert edited["edited_at"] is not None

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
        told = await wait_until(
            lambda kind=kind: _notification(star, kind, post["id"]),
            timeout=PATIENCE_SECONDS,
            interval=0.2,
        )
        assert told["actor"]["handle"] == a.address_of(fan)
    # B reads the reply's Note where A serves it.
    reply_note = await ok(await b.fetch_activity(a.note_url(reply["id"])))
    assert reply_note["inReplyTo"] == b.note_url(post["id"])

    # Unliked and deleted on A: B counts neither any more.
    await ok(await fan.client.delete(f"/v1/posts/{shown['id']}/like"), 204)
    await ok(await fan.client.delete(f"/v1/posts/{reply['id']}"), 204)
    await counts_on(star, post["id"], likes=0, replies=0)


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


async def _notification(account: E2EUser, kind: str, post_id: str) -> dict[str, Any] | None:
    page = await ok(await account.client.get("/v1/notifications", params={"limit": 100}))
    found = [n for n in page["items"] if n["type"] == kind and n["post_id"] == post_id]
    return found[0] if found else None


async def _status_is(instance: Instance, url: str, status: int) -> bool:
    return (await instance.fetch_activity(url)).status_code == status
