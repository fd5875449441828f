"""WebFinger and actor documents: how other servers find a local account and its key."""

import pytest
from federation_support import DOMAIN, FederationHarness, StartFederation

from shared.testing import DIRECTORY_USERS

ALICE = DIRECTORY_USERS[0]


async def test_webfinger_names_the_actor_of_a_local_account(
    federation: FederationHarness,
) -> None:
    answer = await federation.get("/.well-known/webfinger", resource=f"acct:alice@{DOMAIN}")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/jrd+json")
    document = answer.json()
    assert document["subject"] == f"acct:alice@{DOMAIN}"
    assert {
        "rel": "self",
        "type": "application/activity+json",
        "href": f"http://{DOMAIN}/users/alice",
    } in document["links"]


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        (f"acct:nobody@{DOMAIN}", 404),
        ("acct:alice@elsewhere.example", 404),
        (f"http://{DOMAIN}/users/nobody", 404),
        ("alice", 400),
        ("acct:alice", 400),
        ("mailto:alice@copost.test", 400),
    ],
)
async def test_webfinger_refuses_what_names_no_local_account(
    federation: FederationHarness, resource: str, status: int
) -> None:
    answer = await federation.get("/.well-known/webfinger", resource=resource)

    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"


async def test_webfinger_also_takes_the_actor_url(federation: FederationHarness) -> None:
    answer = await federation.get("/.well-known/webfinger", resource=f"http://{DOMAIN}/users/alice")

    assert answer.json()["subject"] == f"acct:alice@{DOMAIN}"


async def test_an_actor_is_a_person_with_inboxes_collections_and_a_lasting_key(
    federation: FederationHarness,
) -> None:
    first = await federation.get("/users/alice")
    again = await federation.get("/users/alice")

    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/activity+json")
    person = first.json()
    actor = f"http://{DOMAIN}/users/alice"
    assert person["type"] == "Person"
    assert person["id"] == actor
    assert person["preferredUsername"] == "alice"
    assert person["name"] == ALICE.display_name
    assert person["inbox"] == f"{actor}/inbox"
    assert person["outbox"] == f"{actor}/outbox"
    assert person["followers"] == f"{actor}/followers"
    assert person["following"] == f"{actor}/following"
    assert person["endpoints"]["sharedInbox"] == f"http://{DOMAIN}/inbox"
    key = person["publicKey"]
    assert key["id"] == f"{actor}#main-key"
    assert key["owner"] == actor
    assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in first.text
    assert again.json()["publicKey"] == key


async def test_each_account_has_its_own_key(federation: FederationHarness) -> None:
    alice = (await federation.get("/users/alice")).json()
    bob = (await federation.get("/users/bob")).json()

    assert alice["publicKey"]["publicKeyPem"] != bob["publicKey"]["publicKeyPem"]


async def test_an_unknown_actor_is_not_found(federation: FederationHarness) -> None:
    assert (await federation.get("/users/nobody")).status_code == 404


async def test_federation_is_off_without_a_domain(start_federation: StartFederation) -> None:
    async with start_federation(federation_domain="") as harness:
        for path in ("/users/alice", "/users/alice/followers"):
            assert (await harness.get(path)).status_code == 404
        webfinger = await harness.get("/.well-known/webfinger", resource=f"acct:alice@{DOMAIN}")
        assert webfinger.status_code == 404
