"""Operators' domain blocks: nothing taken from a blocked domain (or its subdomains), nothing
sent to it, its followers not counted; a block the operator adds or lifts at run time takes
effect without a restart."""

import pytest
from federation_support import DOMAIN, RemotePeer, StartFederation

from federation.delivery.repository import HELD_DELIVERIES
from federation.delivery.rules import is_blocked
from federation.domain_blocks.admin import block_domain, domain_named, unblock_domain
from federation.following.repository import REMOTE_FOLLOWERS
from shared.clock import utc_now
from shared.events.federation import ActivityDeliveryRequested
from shared.testing import DIRECTORY_USERS, wait_until

ALICE = DIRECTORY_USERS[0]
# The tests' peer lives on 127.0.0.1.
BLOCKED = {"federation_blocked_domains": "spam.example, 127.0.0.1"}


def create_for(peer: RemotePeer, name: str) -> ActivityDeliveryRequested:
    """alice's request that a Create be delivered to the peer's inbox."""
    return ActivityDeliveryRequested(
        sender_id=ALICE.id,
        key_id=f"http://{DOMAIN}/users/alice#main-key",
        inbox=f"{peer.url}/inbox",
        activity={"id": f"http://{DOMAIN}/activities/{name}", "type": "Create"},
        requested_at=utc_now(),
    )


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
        await federation.events.publish(create_for(peer, "1"))

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


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("Spam.Example.", "spam.example"),
        (" 127.0.0.1 ", "127.0.0.1"),
        ("a-b.example", "a-b.example"),
    ],
)
def test_an_operator_names_a_domain_in_any_case(value: str, domain: str) -> None:
    assert domain_named(value) == domain


@pytest.mark.parametrize(
    "value", ["https://spam.example", "zoe@spam.example", "spam.example/inbox", "", "-x.example"]
)
def test_what_is_not_a_domain_name_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not a domain name"):
        domain_named(value)


async def test_an_operators_block_and_its_lifting_take_effect_without_a_restart(
    start_federation: StartFederation, peer: RemotePeer
) -> None:
    async with start_federation(domain_blocks_refresh_seconds=0.05) as federation:
        db = federation.app.state.runtime.db
        blocks = federation.app.state.runtime.components.domain_blocks
        assert (
            await federation.post_signed("/inbox", peer.follow("alice"), peer)
        ).status_code == 202
        await wait_until(lambda: peer.activities("Accept") or None)

        assert await block_domain(db, "127.0.0.1", "a test") is True
        assert await block_domain(db, "127.0.0.1") is False
        await wait_until(lambda: blocks.covers(peer.url))

        answer = await federation.post_signed("/inbox", peer.follow("alice"), peer)
        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/problem+json"
        await federation.events.publish(create_for(peer, "after-block"))
        assert peer.activities("Create") == []
        assert await db[HELD_DELIVERIES].count_documents({}) == 0
        collection = (await federation.get("/users/alice/followers")).json()
        assert collection["totalItems"] == 0  # kept, not counted

        assert await unblock_domain(db, "127.0.0.1") is True
        await wait_until(lambda: not blocks.covers(peer.url))

        assert (
            await federation.post_signed("/inbox", peer.follow("alice"), peer)
        ).status_code == 202
        assert (await federation.get("/users/alice/followers")).json()["totalItems"] == 1
