"""CoPost against a server nobody here wrote: a peer built on Fedify (npm, run with Node.js)
follows a CoPost user found by WebFinger, takes the Accept and a co-authored Note (Fedify
checks their HTTP signatures), checks each consent stamp, and replies and likes back; the
whole local stack counts both on the post and notifies every credited author."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from collaboration import accept_invitation, create_post
from conftest import E2EUser, NewUser, running_local_stack, user_factory
from fedify_server import fedify_peer
from stack import find_free_base_port

from shared.testing import wait_until

# A whole stack on a loaded 2-core machine: deliveries and counts settle within seconds.
PATIENCE = 30.0


async def test_a_fedify_server_follows_checks_the_stamps_and_its_reply_and_like_count(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async with fedify_peer() as peer, copost_on_loopback(tmp_path_factory) as copost:
        alice = await copost.users("alice")
        bob = await copost.users("bob", collab_policy="everyone")
        carol = await copost.users("carol", collab_policy="everyone")
        actor_of = {user.id: f"{copost.url}/users/{user.handle}" for user in (alice, bob, carol)}

        followed = await peer.ask("follow", actor=actor_of[alice.id])
        assert followed["followed"] == actor_of[alice.id]
        (accept,) = await wait_until(lambda: peer.seen("accept") or None, timeout=PATIENCE)
        assert (accept["actor"], accept["object"]) == (actor_of[alice.id], followed["follow"])
        await wait_until(lambda: _followers_count(alice, 1), timeout=PATIENCE)

        post = await create_post(alice, "Hi <you>", [bob, carol], mode="when_accepted")
        for coauthor in (bob, carol):
            await accept_invitation(coauthor, post["id"])
        (create,) = await wait_until(lambda: peer.seen("create") or None, timeout=PATIENCE)
        assert create["actor"] == actor_of[alice.id]
        assert create["attributedTo"] == [actor_of[alice.id], actor_of[bob.id], actor_of[carol.id]]
        assert [(stamp["coauthor"], stamp["valid"]) for stamp in create["stamps"]] == [
            (actor_of[bob.id], True),
            (actor_of[carol.id], True),
        ]

        sent = await peer.ask("interact", note=create["note"])
        assert sent["to"] == actor_of[alice.id]
        counted = await wait_until(lambda: _counted(alice, post["id"]), timeout=PATIENCE)
        assert (counted["like_count"], counted["reply_count"]) == (1, 1)
        replies = (await alice.client.get(f"/v1/posts/{post['id']}/replies")).json()["items"]
        peer_handle = f"peer@{peer.url.removeprefix('http://')}"
        assert [(reply["text"], reply["author"]["handle"]) for reply in replies] == [
            ("Nice!", peer_handle)
        ]
        for author in (alice, bob, carol):
            liked = await wait_until(lambda a=author: _liked_notification(a, post["id"]))
            assert liked["actor"]["handle"] == peer_handle


@dataclass(frozen=True, slots=True)
class CoPostOnLoopback:
    url: str
    users: NewUser


@asynccontextmanager
async def copost_on_loopback(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[CoPostOnLoopback]:
    """A whole local stack federating under its gateway's `127.0.0.1:port`, over plain HTTP
    (the peer listens on loopback too: private addresses are allowed both ways)."""
    port = find_free_base_port()
    settings = {
        "FEDERATION_DOMAIN": f"127.0.0.1:{port}",
        "FEDERATION_SCHEME": "http",
        "ALLOW_PRIVATE_ADDRESSES": "true",
    }
    async with (
        running_local_stack(tmp_path_factory, settings, base_port=port) as stack,
        user_factory(stack.gateway_url) as users,
    ):
        yield CoPostOnLoopback(stack.gateway_url, users)


async def _followers_count(user: E2EUser, count: int) -> bool:
    profile = (await user.client.get(f"/v1/users/{user.handle}")).json()
    return bool(profile["followers_count"] == count)


async def _counted(author: E2EUser, post_id: str) -> dict[str, Any] | None:
    post: dict[str, Any] = (await author.client.get(f"/v1/posts/{post_id}")).json()
    return post if post["like_count"] and post["reply_count"] else None


async def _liked_notification(account: E2EUser, post_id: str) -> dict[str, Any] | None:
    page = (await account.client.get("/v1/notifications", params={"limit": 100})).json()
    found = [n for n in page["items"] if n["type"] == "post.liked" and n["post_id"] == post_id]
    return found[0] if found else None


async def test_the_fedify_server_refuses_a_note_not_signed_by_its_sender() -> None:
    """What makes the Note it took above a verified one: unsigned, Fedify answers 401."""
    copost = "https://copost.test"
    async with fedify_peer() as peer, httpx.AsyncClient() as client:
        forged = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{copost}/posts/forged#create",
            "type": "Create",
            "actor": f"{copost}/users/alice",
            "object": {"id": f"{copost}/posts/forged", "type": "Note", "content": "forged"},
        }
        answer = await client.post(
            f"{peer.url}/users/peer/inbox",
            content=json.dumps(forged),
            headers={"content-type": "application/activity+json"},
        )
    assert answer.status_code == 401
    assert peer.seen("create") == []
