"""Blocks hold the moment the block call returns (issue 23), on the real broker and MongoDB.

The users service (its stand-in here) knows of a block at once; the posts service's replica
learns of it only when user.blocked arrives, which was found 2 s late on a live stack. So a
blocked account's like, reply and reads of the blocker's posts are checked with the users
service, and only when it does not answer with the replica.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

import httpx

from shared.events.invitations import InvitationAccepted
from shared.events.users import UserBlocked
from shared.testing import EligibilityStandIn, EventInjector, EventRecorder, wait_until

type Headers = Callable[[str], dict[str, str]]
type Ids = Callable[[str], str]
type PostsServiceStarter = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


async def published_post(client: httpx.AsyncClient, as_user: Headers) -> str:
    created = await client.post("/v1/posts", json={"text": "A post"}, headers=as_user("alice"))
    assert created.status_code == 201, created.text
    post_id: str = created.json()["id"]
    return post_id


async def test_a_block_holds_at_once_though_its_event_has_not_arrived(
    start_posts: PostsServiceStarter,
    users_stand_in: Callable[[], EligibilityStandIn],
    as_user: Headers,
    uid: Ids,
) -> None:
    users = users_stand_in()
    async with start_posts(users=users.transport()) as client:
        post_id = await published_post(client, as_user)

        users.block(uid("alice"), uid("bob"))  # no user.blocked is ever delivered here

        bob = as_user("bob")
        liked = await client.put(f"/v1/posts/{post_id}/like", headers=bob)
        replied = await client.post(
            f"/v1/posts/{post_id}/replies", json={"text": "hey"}, headers=bob
        )
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
    start_posts: PostsServiceStarter,
    users_stand_in: Callable[[], EligibilityStandIn],
    as_user: Headers,
    uid: Ids,
    events: EventInjector,
    event_recorder: EventRecorder,
) -> None:
    users = users_stand_in()
    async with start_posts(users=users.transport()) as client:
        created = await client.post(
            "/v1/posts", json={"text": "Ours", "coauthors": ["bob"]}, headers=as_user("alice")
        )
        assert created.status_code == 201, created.text
        post_id = created.json()["id"]
        (announced,) = await wait_until(
            lambda: [
                e for e in event_recorder.of_type("post.created") if e.data["post_id"] == post_id
            ]
        )
        (invitation,) = announced.data["invitations"]
        await events.publish(
            InvitationAccepted(
                invitation_id=invitation["invitation_id"],
                post_id=post_id,
                inviter_id=uid("alice"),
                invitee_id=uid("bob"),
                responded_at=datetime.now(UTC),
            )
        )
        before = await client.get(f"/v1/posts/{post_id}", headers=as_user("carol"))
        users.block(uid("bob"), uid("carol"))
        after = await client.get(f"/v1/posts/{post_id}", headers=as_user("carol"))
        liked = await client.put(f"/v1/posts/{post_id}/like", headers=as_user("carol"))

    assert [c["status"] for c in before.json()["coauthors"]] == ["accepted"]
    assert (after.status_code, liked.status_code) == (404, 403)


async def test_without_the_users_service_the_replica_of_block_events_answers(
    start_posts: PostsServiceStarter,
    users_stand_in: Callable[[], EligibilityStandIn],
    as_user: Headers,
    uid: Ids,
    events: EventInjector,
) -> None:
    users = users_stand_in()
    async with start_posts(users=users.transport()) as client:
        post_id = await published_post(client, as_user)
        await events.publish(
            UserBlocked(
                blocker_id=uid("alice"), blocked_id=uid("bob"), blocked_at=datetime.now(UTC)
            )
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
