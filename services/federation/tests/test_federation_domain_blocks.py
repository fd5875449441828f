"""Operators' domain blocks: nothing taken from a blocked domain (or its subdomains), nothing
sent to it, its followers not counted."""

import pytest
from federation_support import DOMAIN, RemotePeer, StartFederation

from federation.delivery.repository import HELD_DELIVERIES
from federation.delivery.rules import is_blocked
from federation.following.repository import REMOTE_FOLLOWERS
from shared.clock import utc_now
from shared.events.federation import ActivityDeliveryRequested
from shared.testing import DIRECTORY_USERS

ALICE = DIRECTORY_USERS[0]
# The tests' peer lives on 127.0.0.1.
BLOCKED = {"federation_blocked_domains": "spam.example, 127.0.0.1"}


@pytest.mark.parametrize(
    ("url", "blocked"),
    [
        ("https://spam.example/users/a", True),
        ("https://a.b.spam.example:8443/inbox", True),
        ("https://SPAM.example./inbox", True),
        ("https://notspam.example/inbox", False),
        ("https://spam.example.org/inbox", False),
    ],
)
def test_a_block_covers_the_domain_and_its_subdomains_only(url: str, blocked: bool) -> None:
    assert is_blocked(url, ["spam.example"]) is blocked


async def test_an_activity_from_a_blocked_domain_is_refused_before_its_key_is_fetched(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    async with start_federation(**BLOCKED) as federation:
        answer = await federation.post_signed("/inbox", peer.follow("alice"), peer)

        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/problem+json"
        assert peer.actor_fetches == 0
        db = federation.app.state.runtime.db
        assert await db[REMOTE_FOLLOWERS].count_documents({}) == 0


async def test_nothing_is_delivered_to_a_blocked_domain(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    async with start_federation(**BLOCKED) as federation:
        await federation.events.publish(
            ActivityDeliveryRequested(
                sender_id=ALICE.id,
                key_id=f"http://{DOMAIN}/users/alice#main-key",
                inbox=f"{peer.url}/inbox",
                activity={"id": f"http://{DOMAIN}/activities/1", "type": "Create"},
                requested_at=utc_now(),
            )
        )

        assert peer.received == []
        db = federation.app.state.runtime.db
        assert await db[HELD_DELIVERIES].count_documents({}) == 0


async def test_followers_on_a_blocked_domain_are_not_counted(
    start_federation: StartFederation,
) -> None:
    async with start_federation(**BLOCKED) as federation:
        followers = federation.app.state.runtime.db[REMOTE_FOLLOWERS]
        for actor in (
            "https://spam.example/users/a",
            "https://Sub.Spam.Example/users/b",
            "https://ok.example/users/c",
            "https://spam.example.ok.example/users/d",
        ):
            await followers.insert_one(
                {"_id": f"{ALICE.id} {actor}", "user_id": ALICE.id, "actor_id": actor}
            )

        collection = (await federation.get("/users/alice/followers")).json()

        assert collection["totalItems"] == 2
