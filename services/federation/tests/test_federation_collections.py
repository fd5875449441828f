"""A local user's outbox (the Creates of the posts they published, newest first, a page at a
time) and following collection (how many remote accounts they follow), instead of 404."""

from federation_support import (
    DOMAIN,
    FederationHarness,
    RemotePeer,
    alice_follows_peer,
    published,
)

from shared.testing import ALICE, BOB

OUTBOX = f"http://{DOMAIN}/users/alice/outbox"


async def test_the_outbox_pages_the_authors_creates_newest_first(
    federation: FederationHarness,
) -> None:
    posts = [f"p{index:02}" for index in range(21)]
    await federation.events.publish(*(published(post, ALICE) for post in posts))
    await federation.events.publish(published("bobs", BOB))

    collection = (await federation.fetch(OUTBOX)).json()
    first = (await federation.fetch(collection["first"])).json()
    second = (await federation.fetch(first["next"])).json()

    assert collection["type"] == "OrderedCollection"
    assert collection["totalItems"] == 21
    assert first["type"] == "OrderedCollectionPage"
    assert first["partOf"] == OUTBOX
    items = first["orderedItems"] + second["orderedItems"]
    assert [item["type"] for item in items] == ["Create"] * 21
    # One publication time for all: the newest first by id.
    assert [item["object"]["id"] for item in items] == [
        f"http://{DOMAIN}/posts/{post}" for post in reversed(posts)
    ]
    assert items[0]["actor"] == f"http://{DOMAIN}/users/alice"
    assert "next" not in second


async def test_an_outbox_page_with_a_forged_cursor_is_a_client_error(
    federation: FederationHarness,
) -> None:
    answer = await federation.get("/users/alice/outbox", page="true", cursor="not-a-cursor")

    assert answer.status_code == 400


async def test_the_following_collection_counts_the_remote_accounts_followed(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    before = (await federation.fetch(f"http://{DOMAIN}/users/alice/following")).json()
    await alice_follows_peer(federation, peer)

    after = (await federation.fetch(f"http://{DOMAIN}/users/alice/following")).json()

    assert before["type"] == "OrderedCollection"
    assert (before["totalItems"], after["totalItems"]) == (0, 1)
    unknown = await federation.fetch(f"http://{DOMAIN}/users/nobody/following")
    assert unknown.status_code == 404
