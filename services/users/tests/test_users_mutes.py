"""Muting (issue 12) and follows made from a post: the users API and the events it publishes."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from shared.problems import PROBLEM_MEDIA_TYPE
from shared.testing import EventRecorder, identity_headers

type Register = Callable[..., Awaitable[dict[str, Any]]]


def as_user(user_id: str) -> dict[str, str]:
    return identity_headers(user_id, "users")


async def test_mute_is_idempotent_listed_and_announced_once(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    nora, otto, pia = await register("nora"), await register("otto"), await register("pia")
    for handle in ("otto", "otto", "pia"):
        response = await client.put(f"/v1/users/{handle}/mute", headers=as_user(nora["id"]))
        assert response.status_code == 204
    first = await client.get("/v1/me/mutes?limit=1", headers=as_user(nora["id"]))
    assert [u["handle"] for u in first.json()["items"]] == ["pia"]
    cursor = first.json()["next_cursor"]
    second = await client.get(f"/v1/me/mutes?limit=1&cursor={cursor}", headers=as_user(nora["id"]))
    assert [u["handle"] for u in second.json()["items"]] == ["otto"]
    assert second.json()["next_cursor"] is None

    response = await client.delete("/v1/users/otto/mute", headers=as_user(nora["id"]))
    assert response.status_code == 204
    await client.delete("/v1/users/otto/mute", headers=as_user(nora["id"]))
    listed = await client.get("/v1/me/mutes", headers=as_user(nora["id"]))
    assert [u["id"] for u in listed.json()["items"]] == [pia["id"]]

    muted = await event_recorder.wait_for("user.muted", count=2)
    assert sorted(e.data["muted_id"] for e in muted) == sorted([otto["id"], pia["id"]])
    [unmuted] = await event_recorder.wait_for("user.unmuted")
    assert (unmuted.data["muter_id"], unmuted.data["muted_id"]) == (nora["id"], otto["id"])


async def test_muting_yourself_is_422_and_an_unknown_handle_404(
    client: httpx.AsyncClient, register: Register
) -> None:
    quin = await register("quin")
    response = await client.put("/v1/users/quin/mute", headers=as_user(quin["id"]))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    response = await client.put("/v1/users/nobody_here/mute", headers=as_user(quin["id"]))
    assert response.status_code == 404


async def test_a_follow_from_a_post_carries_via_post_and_a_bare_follow_none(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    rita, sam, tom = await register("rita"), await register("sam"), await register("tom")
    response = await client.put(
        "/v1/users/sam/follow", json={"via_post": "abc123"}, headers=as_user(rita["id"])
    )
    assert response.status_code == 204
    response = await client.put("/v1/users/tom/follow", headers=as_user(rita["id"]))
    assert response.status_code == 204
    followed = await event_recorder.wait_for("user.followed", count=2)
    via = {e.data["followee_id"]: e.data["via_post"] for e in followed}
    assert via == {sam["id"]: "abc123", tom["id"]: None}
    assert followed[0].version == "1.1"


async def test_a_follow_with_a_bad_via_post_is_422_and_follows_no_one(
    client: httpx.AsyncClient, register: Register
) -> None:
    uma = await register("uma")
    await register("vic")
    for body in ({"via_post": "../x"}, {"via_post": "a", "extra": 1}):
        response = await client.put("/v1/users/vic/follow", json=body, headers=as_user(uma["id"]))
        assert response.status_code == 422, body
    profile = await client.get("/v1/users/vic", headers=as_user(uma["id"]))
    assert profile.json()["followers_count"] == 0
