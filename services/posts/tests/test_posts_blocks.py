"""Blocks hold the moment the block call returns (issue 23), on the real broker and MongoDB.

The users service (its stand-in here) knows of a block at once; the posts service's replica
learns of it only when user.blocked arrives, which was found 2 s late on a live stack. So a
blocked account's like, reply and reads of the blocker's posts are checked with the users
service, and only when it does not answer with the replica.
"""

from datetime import UTC, datetime

import httpx
from posts_support import Headers, Ids, created_post, invitation_accepted

from shared.events.users import UserBlocked
from shared.testing import EligibilityStandIn, EventInjector, EventRecorder


async def published_post(client: httpx.AsyncClient, as_user: Headers) -> str:
    post_id: str = (await created_post(client, as_user("alice")))["id"]
    return post_id


async def test_a_block_holds_at_once_though_its_event_has_not_arrived(
    client: httpx.AsyncClient,
    users: EligibilityStandIn,
    as_user: Headers,
    uid: Ids,
) -> None:
    post_id = await published_post(client, as_user)

    users.block(uid("alice"), uid("bob"))  # no user.blocked is ever delivered here

    bob = as_user("bob")
    liked = await client.put(f"/v1/posts/{post_id}/like", headers=bob)
    replied = await client.post(f"/v1/posts/{post_id}/replies", json={"text": "hey"}, headers=bob)
    reads = [
        await client.get(f"/v1/posts/{post_id}{path}", headers=bob)
        for path in ("", "/replies", "/likes", "/remixes")
    ]
    carol_reads = await client.get(f"/v1/posts/{post_id}", headers=as_user("carol"))

    assert (liked.status_code, replied.status_code) == (403, 403)
    assert liked.headers["content-type"].startswith("application/problem+json")
    assert [read.status_code for read in reads] == [404, 404, 404, 404]
    assert carol_reads.status_code == 200


async def test_a_coauthors_block_hides_the_post_they_share(
    client: httpx.AsyncClient,
    users: EligibilityStandIn,
    as_user: Headers,
    uid: Ids,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    post_id = (await created_post(client, as_user("alice"), coauthors=["bob"]))["id"]
    await events.publish(await invitation_accepted(event_recorder, post_id, uid("bob")))
    before = await client.get(f"/v1/posts/{post_id}", headers=as_user("carol"))
    users.block(uid("bob"), uid("carol"))
    after = await client.get(f"/v1/posts/{post_id}", headers=as_user("carol"))
    liked = await client.put(f"/v1/posts/{post_id}/like", headers=as_user("carol"))

    assert [c["status"] for c in before.json()["coauthors"]] == ["accepted"]
    assert (after.status_code, liked.status_code) == (404, 403)


async def test_without_the_users_service_the_replica_of_block_events_answers(
    client: httpx.AsyncClient,
    users: EligibilityStandIn,
    as_user: Headers,
    uid: Ids,
    events: EventInjector,
) -> None:
    post_id = await published_post(client, as_user)
    await events.publish(
        UserBlocked(blocker_id=uid("alice"), blocked_id=uid("bob"), blocked_at=datetime.now(UTC))
    )
    users.failing = True

    replied = await client.post(
        f"/v1/posts/{post_id}/replies", json={"text": "hey"}, headers=as_user("bob")
    )
    read = await client.get(f"/v1/posts/{post_id}", headers=as_user("bob"))
    carol = await client.get(f"/v1/posts/{post_id}", headers=as_user("carol"))

    assert replied.status_code == 403
    assert read.status_code == 404
    assert carol.status_code == 200
