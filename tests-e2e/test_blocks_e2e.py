"""Issue 23: a block holds the moment the block call returns, everywhere, through the gateway.

Found open: a reply sent right after a co-author blocked the replier was accepted (the block
reached posts by event, 2 s later); the blocked account could still open the blocker's
profile, posts and post pages, and its like answered 204 while being silently dropped.
"""

from collaboration import (
    accept_invitation,
    create_post,
    post_coauthors_become,
    profile_becomes,
)
from conftest import E2EUser, NewUser

PROBLEM = "application/problem+json"


async def test_everything_the_blocked_account_tries_is_refused_the_moment_the_block_returns(
    new_user: NewUser, ada: E2EUser, bob: E2EUser
) -> None:
    mal = await new_user("mal", collab_policy="everyone")
    post = await create_post(ada, "ours", [bob])
    await accept_invitation(bob, post["id"])
    await post_coauthors_become(mal, post["id"], {bob.handle: "accepted"})
    await profile_becomes(mal, ada, [post["id"]])

    blocked = await bob.client.put(f"/v1/users/{mal.handle}/block")
    # Straight after, before any event could have reached another service.
    client = mal.client
    reply = await client.post(f"/v1/posts/{post['id']}/replies", json={"text": "hi"})
    like = await client.put(f"/v1/posts/{post['id']}/like")
    remix = await client.post("/v1/posts", json={"text": "mine", "remix_of": post["id"]})
    follow = await client.put(f"/v1/users/{bob.handle}/follow")
    invite = await client.post("/v1/posts", json={"text": "x", "coauthors": [bob.handle]})
    reads = {
        path: (await client.get(path)).status_code
        for path in (
            f"/v1/posts/{post['id']}",
            f"/v1/posts/{post['id']}/replies",
            f"/v1/users/{bob.handle}",
            f"/v1/users/{bob.handle}/posts",
        )
    }
    ada_profile = (await client.get(f"/v1/users/{ada.handle}/posts")).json()["items"]

    assert blocked.status_code == 204
    refusals = [reply, like, remix, follow, invite]
    assert [answer.status_code for answer in refusals] == [403] * 5
    assert all(answer.headers["content-type"].startswith(PROBLEM) for answer in refusals)
    assert set(reads.values()) == {404}, reads
    # On a third account's profile, the post the blocker co-authors is not there either.
    assert ada_profile == []
    # Nothing changes for anyone else.
    assert (await ada.client.get(f"/v1/posts/{post['id']}")).status_code == 200
    assert (await ada.client.get(f"/v1/users/{bob.handle}")).status_code == 200
