"""Profile pictures: PATCH /v1/me avatar_media_id, asked of the media service (a stand-in
here: its own tests crop and store); every public User carries the avatar's URLs or null."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.public_media import AVATAR_PATH, AvatarAnswer, AvatarRequest
from shared.public_user import Avatar
from shared.testing import EventRecorder, identity_headers, running_service
from users.app import create_app
from users.settings import UsersSettings

PASSWORD = "correct horse battery"


def media_stand_in(pictures: dict[str, str]) -> FastAPI:
    """The media service's avatar route over `pictures`: {media id: owner id}."""
    app = FastAPI()

    @app.post(AVATAR_PATH)
    async def set_avatar(body: AvatarRequest) -> AvatarAnswer:
        if body.media_id is None:
            return AvatarAnswer()
        if pictures.get(body.media_id) != body.owner_id:
            return AvatarAnswer(refusal="unknown")
        return AvatarAnswer(
            avatar=Avatar(
                small=f"/media/{body.media_id}/avatar_small",
                large=f"/media/{body.media_id}/avatar_large",
            )
        )

    return app


@pytest.fixture
def pictures() -> dict[str, str]:
    return {}


@pytest.fixture
async def users(
    users_settings: UsersSettings, pictures: dict[str, str], event_recorder: EventRecorder
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=media_stand_in(pictures))
    async with running_service(create_app(users_settings, media_transport=transport)) as http:
        yield http


async def registered(users: httpx.AsyncClient, handle: str) -> dict[str, Any]:
    answer = await users.post(
        "/v1/users", json={"handle": handle, "password": PASSWORD, "display_name": handle}
    )
    assert answer.status_code == 201, answer.text
    user: dict[str, Any] = answer.json()
    return user


async def test_a_new_account_has_no_avatar_and_sets_one(
    users: httpx.AsyncClient, pictures: dict[str, str], event_recorder: EventRecorder
) -> None:
    ada = await registered(users, "ada")
    assert ada["avatar"] is None
    pictures["pic1"] = ada["id"]
    headers = identity_headers(ada["id"], "users")
    changed = await users.patch("/v1/me", json={"avatar_media_id": "pic1"}, headers=headers)
    assert changed.status_code == 200, changed.text
    expected = {"small": "/media/pic1/avatar_small", "large": "/media/pic1/avatar_large"}
    assert changed.json()["avatar"] == expected
    profile = await users.get("/v1/users/ada", headers=identity_headers(ada["id"], "users"))
    assert profile.json()["avatar"] == expected
    (updated,) = await event_recorder.wait_for("user.updated")
    assert updated.data["avatar"] == expected
    assert updated.data["display_name"] == "ada"


async def test_a_name_change_keeps_the_avatar_in_the_event(
    users: httpx.AsyncClient, pictures: dict[str, str], event_recorder: EventRecorder
) -> None:
    ada = await registered(users, "ada")
    pictures["pic1"] = ada["id"]
    headers = identity_headers(ada["id"], "users")
    await users.patch("/v1/me", json={"avatar_media_id": "pic1"}, headers=headers)
    await users.patch("/v1/me", json={"display_name": "Ada L."}, headers=headers)
    first, second = await event_recorder.wait_for("user.updated", count=2)
    assert second.data["avatar"] == first.data["avatar"] is not None
    assert second.data["display_name"] == "Ada L."


async def test_null_removes_the_avatar_and_someone_elses_picture_is_not_found(
    users: httpx.AsyncClient, pictures: dict[str, str]
) -> None:
    ada, bob = await registered(users, "ada"), await registered(users, "bob")
    pictures["bobs"] = bob["id"]
    pictures["adas"] = ada["id"]
    headers = identity_headers(ada["id"], "users")
    refused = await users.patch("/v1/me", json={"avatar_media_id": "bobs"}, headers=headers)
    assert refused.status_code == 404
    await users.patch("/v1/me", json={"avatar_media_id": "adas"}, headers=headers)
    removed = await users.patch("/v1/me", json={"avatar_media_id": None}, headers=headers)
    assert removed.json()["avatar"] is None
