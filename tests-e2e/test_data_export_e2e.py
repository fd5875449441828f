"""A person's own data (issue 23): `GET /v1/me/export` through the gateway gives everything
CoPost holds about them as one documented zip (docs/data-export.md), once an hour at most."""

import io
import json
import zipfile
from typing import Any

from collaboration import accept_invitation, create_post, received_invitation
from conftest import E2EUser, NewUser
from PIL import Image

from shared.testing import wait_until

EXPECTED_FILES = {
    "export.json",
    "account.json",
    "posts.json",
    "replies.json",
    "likes.json",
    "follows.json",
    "blocks.json",
    "mutes.json",
    "invitations.json",
    "notifications.json",
    "media.json",
    "media/README.txt",
}


def read_archive(content: bytes) -> dict[str, Any]:
    """JSON files decoded, text files as text, uploaded files as their bytes."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: _decoded(name, archive.read(name)) for name in archive.namelist()}


def _decoded(name: str, data: bytes) -> Any:
    if name.endswith(".txt"):
        return data.decode()
    return json.loads(data) if name.endswith(".json") else data


async def uploaded_picture(user: E2EUser, size: tuple[int, int]) -> str:
    picture = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(picture, "JPEG")
    answer = await user.client.post(
        "/v1/media", files={"file": ("picture.jpg", picture.getvalue(), "image/jpeg")}
    )
    assert answer.status_code == 201, answer.text
    media_id: str = answer.json()["id"]
    return media_id


async def test_the_export_holds_everything_about_the_caller_and_nothing_secret(
    new_user: NewUser, ada: E2EUser, bob: E2EUser
) -> None:
    mal = await new_user("mal")
    post = await create_post(ada, "ours", [bob])
    await accept_invitation(bob, post["id"])
    own = await create_post(bob, "mine alone", [])
    reply = await bob.client.post(f"/v1/posts/{post['id']}/replies", json={"text": "hi"})
    assert reply.status_code == 201, reply.text
    assert (await bob.client.put(f"/v1/posts/{post['id']}/like")).status_code == 204
    assert (await bob.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 204
    assert (await mal.client.put(f"/v1/users/{bob.handle}/follow")).status_code == 204
    assert (await bob.client.put(f"/v1/users/{mal.handle}/block")).status_code == 204
    assert (await bob.client.put(f"/v1/users/{ada.handle}/mute")).status_code == 204

    async def notified() -> bool:
        page = (await bob.client.get("/v1/notifications", params={"limit": 100})).json()
        return bool(page["items"])

    await wait_until(notified)
    invitation = await received_invitation(bob, post["id"])

    response = await bob.client.get("/v1/me/export")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    files = read_archive(response.content)
    assert set(files) == EXPECTED_FILES
    assert files["export.json"]["format"] == 1
    assert files["export.json"]["user_id"] == bob.id
    account = files["account.json"]
    assert account["id"] == bob.id
    assert account["handle"] == bob.handle
    assert "password_hash" not in account
    assert {p["id"] for p in files["posts.json"]} == {post["id"], own["id"]}
    assert [r["id"] for r in files["replies.json"]] == [reply.json()["id"]]
    assert [like["post_id"] for like in files["likes.json"]] == [post["id"]]
    assert {(f["follower_id"], f["followee_id"]) for f in files["follows.json"]} == {
        (bob.id, ada.id),
        (mal.id, bob.id),
    }
    assert [b["blocked_id"] for b in files["blocks.json"]] == [mal.id]
    assert [m["muted_id"] for m in files["mutes.json"]] == [ada.id]
    assert [i["id"] for i in files["invitations.json"]] == [invitation["id"]]
    assert files["notifications.json"]
    assert all(n["recipient_id"] == bob.id for n in files["notifications.json"])
    assert "uploaded" in files["media/README.txt"]


async def test_the_export_carries_the_callers_pictures_and_no_one_elses(
    ada: E2EUser, bob: E2EUser
) -> None:
    on_post = await uploaded_picture(bob, (1200, 900))
    face = await uploaded_picture(bob, (500, 500))
    adas = await uploaded_picture(ada, (300, 200))
    post = await bob.client.post("/v1/posts", json={"text": "", "media_ids": [on_post]})
    assert post.status_code == 201, post.text
    avatar = await bob.client.patch("/v1/me", json={"avatar_media_id": face})
    assert avatar.status_code == 200, avatar.text
    shared = await ada.client.post("/v1/posts", json={"text": "", "media_ids": [adas]})
    assert shared.status_code == 201, shared.text

    response = await bob.client.get("/v1/me/export")

    assert response.status_code == 200, response.text
    files = read_archive(response.content)
    records = {record["id"]: record for record in files["media.json"]}
    assert set(records) == {on_post, face}
    assert records[on_post]["post_id"] == post.json()["id"]
    assert records[face]["avatar_of"] == bob.id
    assert all(record["owner_id"] == bob.id for record in records.values())
    uploads = {name for name in files if name.startswith("media/")} - {"media/README.txt"}
    assert uploads == {f"media/{on_post}.jpg", f"media/{face}.jpg"}
    for media_id, size in ((on_post, (1200, 900)), (face, (500, 500))):
        picture = Image.open(io.BytesIO(files[f"media/{media_id}.jpg"]))
        assert (picture.format, picture.size) == ("JPEG", size)
    assert not any(adas in name for name in files)


async def test_a_second_export_within_the_hour_is_refused_with_retry_after(
    ada: E2EUser,
) -> None:
    first = await ada.client.get("/v1/me/export")
    second = await ada.client.get("/v1/me/export")

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.headers["content-type"].startswith("application/problem+json")
    assert 3000 < int(second.headers["retry-after"]) <= 3600


async def test_the_export_needs_a_signed_in_caller(gateway: Any) -> None:
    response = await gateway.get("/v1/me/export")

    assert response.status_code == 401
