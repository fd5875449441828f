"""Accounts, tokens, follows and blocks through the gateway, as a client sees them."""

import httpx
import pytest
from conftest import NewUser
from contract import ApiContract

from shared.testing import wait_until

PROBLEM = "application/problem+json"


async def test_register_then_sign_in_then_read_own_profile(new_user: NewUser) -> None:
    ada = await new_user("ada", display_name="Ada")

    me = (await ada.client.get("/v1/me")).json()

    assert me["handle"] == ada.handle
    assert me["display_name"] == "Ada"
    assert me["collab_policy"] == "following"
    assert (me["followers_count"], me["following_count"]) == (0, 0)


async def test_a_taken_handle_is_a_conflict_whatever_its_case(
    gateway: httpx.AsyncClient, new_user: NewUser
) -> None:
    ada = await new_user("ada")

    response = await gateway.post(
        "/v1/users",
        json={"handle": ada.handle.upper(), "password": "another password", "display_name": "X"},
    )

    assert response.status_code == 409
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_wrong_password_is_unauthorized(
    gateway: httpx.AsyncClient, new_user: NewUser
) -> None:
    ada = await new_user("ada")

    response = await gateway.post(
        "/v1/auth/token", json={"handle": ada.handle, "password": "not the password"}
    )

    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    "body",
    [
        {"handle": "ab", "password": "long-enough-secret", "display_name": "Short handle"},
        {"handle": "has space", "password": "long-enough-secret", "display_name": "Bad handle"},
        {"handle": "fine_handle", "password": "s3cr3t!", "display_name": "Short password"},
        {"handle": "fine_handle", "password": "long-enough-secret", "display_name": ""},
        {"handle": "fine_handle", "password": "long-enough-secret"},
    ],
)
async def test_invalid_registrations_are_422_problems_that_do_not_echo_the_password(
    gateway: httpx.AsyncClient, body: dict[str, str]
) -> None:
    response = await gateway.post("/v1/users", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= problem.keys()
    assert body["password"] not in response.text


async def test_malformed_json_is_a_client_error(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/v1/users", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_an_oversized_body_is_rejected_with_413(gateway: httpx.AsyncClient) -> None:
    huge = "x" * 200_000
    response = await gateway.post(
        "/v1/users", json={"handle": "big_body", "password": huge, "display_name": huge}
    )

    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_calls_without_a_token_are_unauthorized(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/me")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_an_identity_header_sent_by_a_client_is_ignored(
    gateway: httpx.AsyncClient, new_user: NewUser
) -> None:
    ada = await new_user("ada")
    bob = await new_user("bob")

    response = await ada.client.get("/v1/me", headers={"X-CoPost-User-Id": bob.id})

    assert response.json()["id"] == ada.id


async def test_follow_counts_on_both_profiles_and_follow_is_idempotent(
    new_user: NewUser,
) -> None:
    ada = await new_user("ada")
    bob = await new_user("bob")

    for _ in range(2):
        assert (await ada.client.put(f"/v1/users/{bob.handle}/follow")).status_code == 204

    bob_profile = (await ada.client.get(f"/v1/users/{bob.handle}")).json()
    ada_profile = (await bob.client.get(f"/v1/users/{ada.handle}")).json()
    assert bob_profile["followers_count"] == 1
    assert ada_profile["following_count"] == 1

    for _ in range(2):
        assert (await ada.client.delete(f"/v1/users/{bob.handle}/follow")).status_code == 204
    bob_profile = (await ada.client.get(f"/v1/users/{bob.handle}")).json()
    assert bob_profile["followers_count"] == 0


async def test_following_oneself_is_422_and_an_unknown_handle_is_404(new_user: NewUser) -> None:
    ada = await new_user("ada")

    assert (await ada.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 422
    assert (await ada.client.put("/v1/users/nobody_here_xyz/follow")).status_code == 404


async def test_a_block_removes_follows_both_ways_and_forbids_following(
    new_user: NewUser,
) -> None:
    ada = await new_user("ada")
    bob = await new_user("bob")
    await ada.client.put(f"/v1/users/{bob.handle}/follow")
    await bob.client.put(f"/v1/users/{ada.handle}/follow")

    assert (await ada.client.put(f"/v1/users/{bob.handle}/block")).status_code == 204

    me = (await ada.client.get("/v1/me")).json()
    assert (me["followers_count"], me["following_count"]) == (0, 0)
    assert (await bob.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 403

    assert (await ada.client.delete(f"/v1/users/{bob.handle}/block")).status_code == 204
    assert (await bob.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 204


async def test_patch_me_changes_display_name_and_policy_but_nothing_else(
    new_user: NewUser,
) -> None:
    ada = await new_user("ada")

    changed = await ada.client.patch(
        "/v1/me", json={"display_name": "Ada L.", "collab_policy": "everyone"}
    )
    assert changed.status_code == 200
    assert (changed.json()["display_name"], changed.json()["collab_policy"]) == (
        "Ada L.",
        "everyone",
    )

    smuggled = await ada.client.patch("/v1/me", json={"id": "someone-else", "handle": "root"})
    assert smuggled.status_code == 422
    assert (await ada.client.get("/v1/me")).json()["handle"] == ada.handle


async def test_a_deleted_accounts_token_stops_working_within_seconds(
    gateway: httpx.AsyncClient, new_user: NewUser
) -> None:
    ada = await new_user("ada")
    bob = await new_user("bob")

    assert (await ada.client.delete("/v1/me")).status_code == 204

    async def rejected() -> bool:
        return (await ada.client.get("/v1/me")).status_code == 401

    await wait_until(rejected, timeout=5)
    assert (await bob.client.get(f"/v1/users/{ada.handle}")).status_code == 404
    login = await gateway.post(
        "/v1/auth/token", json={"handle": ada.handle, "password": ada.password}
    )
    assert login.status_code == 401


async def test_every_response_carries_a_request_id_and_keeps_the_callers(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/healthz", headers={"X-Request-ID": "trace-me-123"})

    assert response.headers["x-request-id"] == "trace-me-123"
    assert (await gateway.get("/healthz")).headers["x-request-id"]


async def test_an_unknown_route_is_a_404_problem(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_the_aggregated_openapi_document_lists_the_public_routes(
    gateway: httpx.AsyncClient,
) -> None:
    document = (await gateway.get("/openapi.json")).json()

    assert {"/v1/users", "/v1/auth/token", "/v1/me"} <= set(document["paths"])
    assert not any(path.startswith("/internal") for path in document["paths"])


async def test_the_gateway_serves_the_committed_openapi_document(
    gateway: httpx.AsyncClient,
) -> None:
    served = (await gateway.get("/openapi.json")).json()

    assert served == ApiContract.committed().document


async def test_a_profile_tells_the_caller_how_it_relates_to_that_account(
    new_user: NewUser,
) -> None:
    ada, bob = await new_user("ada"), await new_user("bob")
    assert (await bob.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 204
    assert (await ada.client.put(f"/v1/users/{bob.handle}/mute")).status_code == 204

    seen = (await ada.client.get(f"/v1/users/{bob.handle}")).json()

    assert seen["relationship"] == {
        "following": False,
        "followed_by": True,
        "blocking": False,
        "muting": True,
    }
    assert "relationship" not in (await ada.client.get(f"/v1/users/{ada.handle}")).json()


async def test_a_handle_search_leaves_out_who_blocks_the_caller_and_is_rate_limited(
    new_user: NewUser,
) -> None:
    ada = await new_user("ada")
    prefix = f"srch{ada.handle[-8:]}"
    friend = await new_user(f"{prefix}_f")
    blocker = await new_user(f"{prefix}_b")
    assert (await blocker.client.put(f"/v1/users/{ada.handle}/block")).status_code == 204

    found = await ada.client.get("/v1/users", params={"q": prefix, "limit": 10})

    assert found.status_code == 200, found.text
    assert [u["handle"] for u in found.json()["items"]] == [friend.handle]
    assert found.json()["items"][0]["relationship"]["following"] is False
    short = await ada.client.get("/v1/users", params={"q": "a"})
    assert short.status_code == 422
    assert short.headers["content-type"].startswith(PROBLEM)
    statuses = [
        (await ada.client.get("/v1/users", params={"q": prefix})).status_code for _ in range(40)
    ]
    assert 429 in statuses
    refused = await ada.client.get("/v1/users", params={"q": prefix})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
