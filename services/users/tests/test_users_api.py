"""The public users API on the real broker and the embedded MongoDB, events included."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from shared.bus import EventBus
from shared.outbox import Outbox, OutboxRelay
from shared.personal_data import PERSONAL_DATA_PATH
from shared.problems import PROBLEM_MEDIA_TYPE
from shared.testing import EventRecorder, counted_database, identity_headers, wait_until
from users.core.repository import AccountRepository
from users.relations.commands import RelationCommands
from users.relations.repository import RelationRepository
from users.remote.commands import RemoteAccountCommands
from users.remote.lookup import FederationLookup
from users.settings import UsersSettings

PASSWORD = "correct horse battery"

type Register = Callable[..., Awaitable[dict[str, Any]]]


def as_user(user_id: str) -> dict[str, str]:
    return identity_headers(user_id, "users")


async def profile(client: httpx.AsyncClient, handle: str, viewer_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/users/{handle}", headers=as_user(viewer_id))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def counts(client: httpx.AsyncClient, handle: str, viewer_id: str) -> tuple[int, int]:
    found = await profile(client, handle, viewer_id)
    return found["followers_count"], found["following_count"]


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def event_types(recorder: EventRecorder, until: str, count: int = 1) -> list[str]:
    """Every event type seen once `until` arrived `count` times; events of one document arrive
    in the order they were written, so an extra event written before `until` would be listed."""
    await recorder.wait_for(until, count=count)
    return [event.type for event in recorder.events]


# Registration and tokens


async def test_registration_answers_the_user_and_publishes_user_registered(
    client: httpx.AsyncClient, event_recorder: EventRecorder
) -> None:
    response = await client.post(
        "/v1/users",
        json={"handle": "Alice_1", "password": PASSWORD, "display_name": "  Alice  "},
    )
    assert response.status_code == 201
    user = response.json()
    assert set(user) == {"id", "handle", "display_name", "created_at", "avatar"}
    assert user["avatar"] is None
    assert (user["handle"], user["display_name"]) == ("alice_1", "Alice")

    [event] = await event_recorder.wait_for("user.registered")
    assert event.producer == "users"
    assert event.data["user_id"] == user["id"]
    assert event.data["handle"] == "alice_1"
    assert event.data["display_name"] == "Alice"
    assert "password" not in str(event.data)


async def test_a_handle_taken_in_any_case_is_a_conflict(
    client: httpx.AsyncClient, register: Register
) -> None:
    await register("bob")
    response = await client.post(
        "/v1/users", json={"handle": "BOB", "password": PASSWORD, "display_name": "Other"}
    )
    assert_problem(response, 409)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"handle": "ab", "password": "s3cret-Passw0rd", "display_name": "A"}, "handle"),
        ({"handle": "has space", "password": "s3cret-Passw0rd", "display_name": "A"}, "handle"),
        ({"handle": "carol", "password": "Sh0rt!x", "display_name": "A"}, "password"),
        ({"handle": "carol", "password": "s3cret-Passw0rd" * 9, "display_name": "A"}, "password"),
        ({"handle": "carol", "password": "s3cret-Passw0rd", "display_name": "   "}, "display_name"),
        (
            {"handle": "carol", "password": "s3cret-Passw0rd", "display_name": "x" * 51},
            "display_name",
        ),
        ({"handle": "carol", "password": "s3cret-Passw0rd"}, "display_name"),
        (
            {"handle": "carol", "password": "s3cret-Passw0rd", "display_name": "Ali\u200bce\u202e"},
            "display_name",
        ),
        (
            {"handle": "carol", "password": "s3cret-Passw0rd", "display_name": "A", "id": "x"},
            "id",
        ),
    ],
)
async def test_invalid_registrations_are_422_problems_that_never_echo_the_password(
    client: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    problem = assert_problem(await client.post("/v1/users", json=body), 422)
    assert [error["loc"][-1] for error in problem["errors"]] == [field]
    assert "s3cret-Passw0rd" not in str(problem)
    assert "Sh0rt!x" not in str(problem)


async def test_a_token_is_issued_for_the_right_password_and_any_case_of_the_handle(
    client: httpx.AsyncClient,
    register: Register,
) -> None:
    await register("dave")
    response = await client.post("/v1/auth/token", json={"handle": "DAVE", "password": PASSWORD})
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 900
    assert token["access_token"].count(".") == 2


async def test_wrong_password_and_unknown_handle_get_the_same_401(
    client: httpx.AsyncClient,
    register: Register,
) -> None:
    await register("erin")
    wrong_password = await client.post(
        "/v1/auth/token", json={"handle": "erin", "password": "not the password"}
    )
    unknown_handle = await client.post(
        "/v1/auth/token", json={"handle": "nobody_here", "password": PASSWORD}
    )
    invalid_handle = await client.post(
        "/v1/auth/token", json={"handle": "not a handle!", "password": PASSWORD}
    )
    bodies = [assert_problem(r, 401) for r in (wrong_password, unknown_handle, invalid_handle)]
    assert bodies[0] == bodies[1] == bodies[2]


# The caller's own account


async def test_me_shows_the_profile_with_counts_and_the_default_collab_policy(
    client: httpx.AsyncClient,
    register: Register,
) -> None:
    user = await register("frank")
    response = await client.get("/v1/me", headers=as_user(user["id"]))
    assert response.status_code == 200
    assert response.json() == {
        **user,
        "followers_count": 0,
        "following_count": 0,
        "collab_policy": "following",
        "remix_policy": "everyone",
        "remix_approval": "automatic",
        "keep_coauthored_posts": "delete",
        "country": None,
        "features": {"coauthoring": True, "remix": True},
    }


async def test_calls_without_the_gateways_identity_are_401(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/me"), 401)
    assert_problem(await client.put("/v1/users/frank/follow"), 401)
    assert_problem(await client.get("/v1/me", headers=as_user("no-such-account")), 401)


async def test_patch_me_changes_name_and_policy_and_publishes_user_updated(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    user = await register("gina")
    response = await client.patch(
        "/v1/me",
        json={"display_name": " Gina G ", "collab_policy": "everyone"},
        headers=as_user(user["id"]),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["display_name"], response.json()["collab_policy"]) == (
        "Gina G",
        "everyone",
    )
    [event] = await event_recorder.wait_for("user.updated")
    assert event.data["user_id"] == user["id"]
    assert (event.data["handle"], event.data["display_name"]) == ("gina", "Gina G")


async def test_patch_me_publishes_nothing_when_the_public_profile_is_unchanged(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    user = await register("hugo")
    headers = as_user(user["id"])
    for body in ({"collab_policy": "nobody"}, {"display_name": "hugo"}, {}):
        assert (await client.patch("/v1/me", json=body, headers=headers)).status_code == 200
    await client.patch("/v1/me", json={"display_name": "Hugo"}, headers=headers)
    assert await event_types(event_recorder, "user.updated") == [
        "user.registered",
        "user.updated",
    ]
    me = (await client.get("/v1/me", headers=headers)).json()
    assert (me["display_name"], me["collab_policy"]) == ("Hugo", "nobody")


@pytest.mark.parametrize(
    "body",
    [
        {"handle": "someone_else"},
        {"followers_count": 1000},
        {"id": "other"},
        {"collab_policy": "friends"},
        {"display_name": None},
        {"display_name": ""},
    ],
)
async def test_patch_me_refuses_fields_it_does_not_own_and_bad_values(
    client: httpx.AsyncClient, register: Register, body: dict[str, Any]
) -> None:
    user = await register("ivan")
    response = await client.patch("/v1/me", json=body, headers=as_user(user["id"]))
    assert_problem(response, 422)
    me = (await client.get("/v1/me", headers=as_user(user["id"]))).json()
    assert (me["handle"], me["followers_count"]) == ("ivan", 0)


# Follows


async def test_follow_and_unfollow_change_both_profiles_counts(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    jack, kate = await register("jack"), await register("kate")
    response = await client.put("/v1/users/KATE/follow", headers=as_user(jack["id"]))
    assert response.status_code == 204
    assert await counts(client, "kate", jack["id"]) == (1, 0)
    assert await counts(client, "jack", kate["id"]) == (0, 1)
    [followed] = await event_recorder.wait_for("user.followed")
    assert (followed.data["follower_id"], followed.data["followee_id"]) == (jack["id"], kate["id"])

    response = await client.delete("/v1/users/kate/follow", headers=as_user(jack["id"]))
    assert response.status_code == 204
    assert await counts(client, "kate", jack["id"]) == (0, 0)
    [unfollowed] = await event_recorder.wait_for("user.unfollowed")
    assert unfollowed.data["follower_id"] == jack["id"]


async def test_a_follow_costs_four_commands(
    client: httpx.AsyncClient, register: Register, users_settings: UsersSettings, mongo_url: str
) -> None:
    jack = await register("jack")
    await register("kate")
    async with counted_database(mongo_url, users_settings.database_name) as (db, commands):
        # A relay that is never started: the service's own publishes the event.
        relay = OutboxRelay(db, (), EventBus(users_settings), service_name="users")
        accounts, outbox = AccountRepository(db), Outbox(relay, producer="users")
        # Never asked: both accounts are local.
        remote = RemoteAccountCommands(accounts, outbox, FederationLookup(httpx.AsyncClient()))
        relations = RelationCommands(accounts, RelationRepository(db), outbox, remote)
        await relations.follow(jack["id"], "kate")

    assert dict(commands) == {
        "find users": 2,  # the follower's account, the followee's by handle
        # The follow and its event, one write where no block is hinted (no read before it).
        "update follows": 1,
        "find blocks": 1,  # a block either way made while it was written
    }
    assert await counts(client, "kate", jack["id"]) == (1, 0)


async def test_following_twice_publishes_one_event_and_unfollowing_twice_too(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    leo = await register("leo")
    await register("mia")
    for method in ("PUT", "PUT", "DELETE", "DELETE", "PUT"):
        response = await client.request(method, "/v1/users/mia/follow", headers=as_user(leo["id"]))
        assert response.status_code == 204
    follows = [t for t in await event_types(event_recorder, "user.followed", 2) if "follow" in t]
    assert follows == ["user.followed", "user.unfollowed", "user.followed"]
    assert await counts(client, "mia", leo["id"]) == (1, 0)


async def test_following_an_unknown_handle_is_404_and_yourself_is_422(
    client: httpx.AsyncClient,
    register: Register,
) -> None:
    ned = await register("ned")
    headers = as_user(ned["id"])
    assert_problem(await client.put("/v1/users/ghost/follow", headers=headers), 404)
    assert_problem(await client.delete("/v1/users/ghost/follow", headers=headers), 404)
    assert_problem(await client.put("/v1/users/Ned/follow", headers=headers), 422)


async def test_unknown_profile_is_404(client: httpx.AsyncClient, register: Register) -> None:
    ned = await register("ned")
    assert_problem(await client.get("/v1/users/ghost", headers=as_user(ned["id"])), 404)
    assert_problem(await client.get("/v1/users/not%20valid", headers=as_user(ned["id"])), 404)


# Blocks


async def test_a_block_removes_follows_both_ways_and_forbids_following_either_way(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    olga, pete = await register("olga"), await register("pete")
    await client.put("/v1/users/pete/follow", headers=as_user(olga["id"]))
    await client.put("/v1/users/olga/follow", headers=as_user(pete["id"]))
    await event_recorder.wait_for("user.followed", count=2)

    for _ in range(2):
        response = await client.put("/v1/users/pete/block", headers=as_user(olga["id"]))
        assert response.status_code == 204
    [blocked] = await event_recorder.wait_for("user.blocked")
    assert (blocked.data["blocker_id"], blocked.data["blocked_id"]) == (olga["id"], pete["id"])
    unfollowed = await event_recorder.wait_for("user.unfollowed", count=2)
    assert {(e.data["follower_id"], e.data["followee_id"]) for e in unfollowed} == {
        (olga["id"], pete["id"]),
        (pete["id"], olga["id"]),
    }
    assert await counts(client, "olga", olga["id"]) == (0, 0)
    assert await counts(client, "pete", olga["id"]) == (0, 0)
    # To the blocked account, the blocker's profile is not there (issue 23).
    assert_problem(await client.get("/v1/users/olga", headers=as_user(pete["id"])), 404)

    assert_problem(await client.put("/v1/users/olga/follow", headers=as_user(pete["id"])), 403)
    assert_problem(await client.put("/v1/users/pete/follow", headers=as_user(olga["id"])), 403)


async def test_unblock_publishes_user_unblocked_once_and_allows_following_again(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    quin, rosa = await register("quin"), await register("rosa")
    headers = as_user(quin["id"])
    await client.put("/v1/users/rosa/block", headers=headers)
    for _ in range(2):
        assert (await client.delete("/v1/users/rosa/block", headers=headers)).status_code == 204
    await client.put("/v1/users/rosa/follow", headers=headers)
    types = await event_types(event_recorder, "user.followed")
    assert [t for t in types if "block" in t] == ["user.blocked", "user.unblocked"]
    assert await counts(client, "rosa", quin["id"]) == (1, 0)
    assert rosa["id"] != quin["id"]


async def test_a_blocked_follow_writes_and_announces_nothing_and_a_stale_hint_heals(
    client: httpx.AsyncClient,
    register: Register,
    event_recorder: EventRecorder,
    users_settings: UsersSettings,
    mongo_url: str,
) -> None:
    tara, uma = await register("tara"), await register("uma")
    assert (await client.put("/v1/users/uma/block", headers=as_user(tara["id"]))).status_code == 204
    await event_recorder.wait_for("user.blocked")
    for _ in range(2):
        response = await client.put("/v1/users/tara/follow", headers=as_user(uma["id"]))
        assert_problem(response, 403)
    # Not written, nothing announced (the one user.followed below is the last follow's): the
    # hint refuses the write, the blocks confirm it.
    assert await counts(client, "uma", uma["id"]) == (0, 0)

    # A hint left by an unblock interrupted before it cleared it: checked, cleared, followed.
    response = await client.delete("/v1/users/uma/block", headers=as_user(tara["id"]))
    assert response.status_code == 204
    async with counted_database(mongo_url, users_settings.database_name) as (db, _):
        hint = {"$set": {"blocked": True}}
        await db["follows"].update_one({"_id": f"{uma['id']}:{tara['id']}"}, hint, upsert=True)
    assert (
        await client.put("/v1/users/tara/follow", headers=as_user(uma["id"]))
    ).status_code == 204
    [followed] = await event_recorder.wait_for("user.followed")
    assert (followed.data["follower_id"], followed.data["followee_id"]) == (uma["id"], tara["id"])
    assert await counts(client, "tara", uma["id"]) == (1, 0)


async def test_blocks_made_before_hints_existed_are_hinted_at_start(
    register: Register, users_settings: UsersSettings, mongo_url: str, client: httpx.AsyncClient
) -> None:
    vic, wes = await register("vic"), await register("wes")
    assert (await client.put("/v1/users/wes/block", headers=as_user(vic["id"]))).status_code == 204
    async with counted_database(mongo_url, users_settings.database_name) as (db, _):
        await db["follows"].update_many({}, {"$unset": {"blocked": ""}})
        await RelationRepository(db).hint_every_block()
        hinted = {d["_id"] async for d in db["follows"].find({"blocked": True})}
    assert hinted == {f"{vic['id']}:{wes['id']}", f"{wes['id']}:{vic['id']}"}
    # Hint-only documents are nobody's follow record.
    archive = await client.get(PERSONAL_DATA_PATH, headers=identity_headers(vic["id"], "users"))
    assert archive.status_code == 200
    assert archive.json()["files"].get("follows.json", []) == []


async def test_blocking_yourself_is_422_and_an_unknown_handle_404(
    client: httpx.AsyncClient,
    register: Register,
) -> None:
    sam = await register("sam")
    assert_problem(await client.put("/v1/users/sam/block", headers=as_user(sam["id"])), 422)
    assert_problem(await client.put("/v1/users/ghost/block", headers=as_user(sam["id"])), 404)


# Account deletion


async def test_deleting_the_account_frees_the_handle_and_drops_its_follows(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    tess, uma = await register("tess"), await register("uma")
    await client.put("/v1/users/uma/follow", headers=as_user(tess["id"]))
    await client.put("/v1/users/tess/follow", headers=as_user(uma["id"]))

    response = await client.delete("/v1/me", headers=as_user(tess["id"]))
    assert response.status_code == 204
    [deleted] = await event_recorder.wait_for("user.deleted")
    assert deleted.data["user_id"] == tess["id"]

    assert await counts(client, "uma", uma["id"]) == (0, 0)
    assert_problem(await client.get("/v1/users/tess", headers=as_user(uma["id"])), 404)
    assert_problem(await client.get("/v1/me", headers=as_user(tess["id"])), 401)
    login = {"handle": "tess", "password": PASSWORD}
    assert_problem(await client.post("/v1/auth/token", json=login), 401)

    again = await register("TESS", password="another password")
    assert again["id"] != tess["id"]
    assert (await client.delete("/v1/me", headers=as_user(tess["id"]))).status_code == 204
    await wait_until(lambda: event_recorder.of_type("user.registered")[-1].data["handle"] == "tess")
    assert len(event_recorder.of_type("user.deleted")) == 1


async def test_the_choice_for_coauthored_posts_is_kept_and_announced_with_the_deletion(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    vera = await register("vera")
    me = as_user(vera["id"])
    assert (await client.get("/v1/me", headers=me)).json()["keep_coauthored_posts"] == "delete"
    assert_problem(
        await client.patch("/v1/me", json={"keep_coauthored_posts": "keep"}, headers=me), 422
    )
    chosen = await client.patch("/v1/me", json={"keep_coauthored_posts": "hand_over"}, headers=me)
    assert chosen.json()["keep_coauthored_posts"] == "hand_over"

    assert (await client.delete("/v1/me", headers=me)).status_code == 204
    [deleted] = await event_recorder.wait_for("user.deleted")
    assert deleted.data["keep_coauthored_posts"] == "hand_over"
