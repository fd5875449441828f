"""How accounts look to a signed-in caller: its relationship to each, and the search by handle
prefix (for co-author autocomplete), through the users API."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from shared.problems import PROBLEM_MEDIA_TYPE
from shared.testing import identity_headers

type Register = Callable[..., Awaitable[dict[str, Any]]]


def as_user(user_id: str) -> dict[str, str]:
    return identity_headers(user_id, "users")


async def test_a_profile_says_whether_the_caller_follows_is_followed_blocks_and_mutes(
    client: httpx.AsyncClient, register: Register
) -> None:
    ana, ben = await register("ana"), await register("ben")
    fresh = (await client.get("/v1/users/ben", headers=as_user(ana["id"]))).json()
    assert fresh["relationship"] == {
        "following": False,
        "followed_by": False,
        "blocking": False,
        "muting": False,
    }
    for call, path, who in [
        (client.put, "/v1/users/ben/follow", ana),
        (client.put, "/v1/users/ana/follow", ben),
        (client.put, "/v1/users/ben/mute", ana),
    ]:
        assert (await call(path, headers=as_user(who["id"]))).status_code == 204

    seen = (await client.get("/v1/users/ben", headers=as_user(ana["id"]))).json()
    assert seen["relationship"] == {
        "following": True,
        "followed_by": True,
        "blocking": False,
        "muting": True,
    }
    muted = (await client.get("/v1/me/mutes", headers=as_user(ana["id"]))).json()
    assert [u["relationship"]["muting"] for u in muted["items"]] == [True]
    await client.put("/v1/users/ben/block", headers=as_user(ana["id"]))
    blocked = (await client.get("/v1/users/ben", headers=as_user(ana["id"]))).json()
    assert blocked["relationship"]["blocking"] is True
    assert blocked["relationship"]["following"] is False  # a block ends the follows


async def test_the_callers_own_profile_carries_no_relationship(
    client: httpx.AsyncClient, register: Register
) -> None:
    cleo = await register("cleo")
    own = (await client.get("/v1/users/cleo", headers=as_user(cleo["id"]))).json()
    assert "relationship" not in own
    assert "relationship" not in (await client.get("/v1/me", headers=as_user(cleo["id"]))).json()


async def test_a_search_lists_handles_by_prefix_without_those_who_block_the_caller(
    client: httpx.AsyncClient, register: Register
) -> None:
    dan = await register("dan")
    for handle in ("artist_a", "artist_b", "artist_c", "artisan", "other"):
        await register(handle)
    blocker = await register("artist_x")
    await client.put("/v1/users/dan/block", headers=as_user(blocker["id"]))
    await client.put("/v1/users/artist_b/follow", headers=as_user(dan["id"]))

    response = await client.get("/v1/users", params={"q": "@Arti"}, headers=as_user(dan["id"]))

    assert response.status_code == 200
    found = response.json()["items"]
    assert [u["handle"] for u in found] == ["artisan", "artist_a", "artist_b", "artist_c"]
    assert [u["relationship"]["following"] for u in found] == [False, False, True, False]
    two = await client.get(
        "/v1/users", params={"q": "artist", "limit": 2}, headers=as_user(dan["id"])
    )
    assert [u["handle"] for u in two.json()["items"]] == ["artist_a", "artist_b"]


async def test_a_search_past_many_blockers_fills_its_page_from_later_matches(
    client: httpx.AsyncClient, register: Register
) -> None:
    eli = await register("eli")
    for handle in ("band_1", "band_2"):
        blocker = await register(handle)
        await client.put("/v1/users/eli/block", headers=as_user(blocker["id"]))
    await register("band_3")
    response = await client.get(
        "/v1/users", params={"q": "band", "limit": 1}, headers=as_user(eli["id"])
    )
    assert [u["handle"] for u in response.json()["items"]] == ["band_3"]


@pytest.mark.parametrize("q", ["", "a", "@a", "a b", "a%", ".*", "x" * 31])
async def test_a_search_for_less_than_two_handle_characters_is_unprocessable(
    client: httpx.AsyncClient, register: Register, q: str
) -> None:
    fay = await register("fay")
    response = await client.get("/v1/users", params={"q": q}, headers=as_user(fay["id"]))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    missing = await client.get("/v1/users", headers=as_user(fay["id"]))
    assert missing.status_code == 422
