"""Profile pictures: one's own picture cropped square in two sizes, public; the last one wins."""

import io

from media_support import MediaHarness, picture
from PIL import Image

from shared.public_media import AVATAR_PATH
from shared.testing import caller_headers

ALICE = "6756f0c2a1b2c3d4e5f60711"
BOB = "6756f0c2a1b2c3d4e5f60712"


async def set_avatar(media: MediaHarness, owner_id: str, media_id: str | None) -> dict[str, object]:
    answer = await media.client.post(
        AVATAR_PATH,
        json={"owner_id": owner_id, "media_id": media_id},
        headers=caller_headers("users", "media"),
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


async def test_a_picture_becomes_a_square_public_avatar(media: MediaHarness) -> None:
    media_id = (await media.upload(ALICE, picture((900, 600)))).json()["id"]
    answer = await set_avatar(media, ALICE, media_id)
    avatar = answer["avatar"]
    assert isinstance(avatar, dict)
    assert avatar == {
        "small": f"/media/{media_id}/avatar_small",
        "large": f"/media/{media_id}/avatar_large",
    }
    small = await media.fetch(avatar["small"])
    assert small.status_code == 200
    assert small.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(small.content)).size == (96, 96)
    large = await media.fetch(avatar["large"])
    assert Image.open(io.BytesIO(large.content)).size == (400, 400)
    assert await set_avatar(media, ALICE, media_id) == answer


async def test_a_new_avatar_or_none_deletes_the_previous_one(media: MediaHarness) -> None:
    first = (await media.upload(ALICE, picture((300, 300)))).json()["id"]
    second = (await media.upload(ALICE, picture((300, 300)))).json()["id"]
    await set_avatar(media, ALICE, first)
    await set_avatar(media, ALICE, second)
    assert (await media.fetch(f"/media/{first}/avatar_small")).status_code == 404
    assert (await media.fetch(f"/media/{second}/avatar_small")).status_code == 200
    assert await set_avatar(media, ALICE, None) == {"avatar": None, "refusal": None}
    assert (await media.fetch(f"/media/{second}/avatar_small")).status_code == 404


async def test_someone_elses_picture_is_unknown(media: MediaHarness) -> None:
    bobs = (await media.upload(BOB, picture((300, 300)))).json()["id"]
    assert (await set_avatar(media, ALICE, bobs))["refusal"] == "unknown"


async def test_only_the_users_service_sets_avatars(media: MediaHarness) -> None:
    answer = await media.client.post(
        AVATAR_PATH,
        json={"owner_id": ALICE, "media_id": None},
        headers=caller_headers("posts", "media"),
    )
    assert answer.status_code == 403
