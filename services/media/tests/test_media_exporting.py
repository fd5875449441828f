"""A person's uploads for their data export: the records in `media.json`, and each file to its
owner alone — someone else's is 404, like one that does not exist."""

import io

from media_support import MediaHarness, picture
from PIL import Image

from shared.personal_data import PERSONAL_DATA_PATH, personal_media_path
from shared.testing import caller_headers, identity_headers

ALICE = "6756f0c2a1b2c3d4e5f60721"
BOB = "6756f0c2a1b2c3d4e5f60722"


async def test_the_owner_gets_the_largest_variant_of_a_picture(media: MediaHarness) -> None:
    media_id = (await media.upload(ALICE, picture((1800, 1200)))).json()["id"]

    answer = await media.client.get(
        personal_media_path(media_id), headers=identity_headers(ALICE, "media")
    )

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(answer.content)).size == (1800, 1200)


async def test_someone_elses_medium_is_not_found(media: MediaHarness) -> None:
    bobs = (await media.upload(BOB, picture((300, 300)))).json()["id"]

    answer = await media.client.get(
        personal_media_path(bobs), headers=identity_headers(ALICE, "media")
    )

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_call_without_a_user_is_refused(media: MediaHarness) -> None:
    media_id = (await media.upload(ALICE, picture((300, 300)))).json()["id"]

    answer = await media.client.get(
        personal_media_path(media_id), headers=caller_headers("posts", "media")
    )

    assert answer.status_code == 401


async def test_media_json_lists_the_callers_uploads_only(media: MediaHarness) -> None:
    own = (await media.upload(ALICE, picture((300, 300)), alt_text="mine")).json()["id"]
    await media.upload(BOB, picture((300, 300)))

    answer = await media.client.get(PERSONAL_DATA_PATH, headers=identity_headers(ALICE, "media"))

    assert answer.status_code == 200, answer.text
    (record,) = answer.json()["files"]["media.json"]
    assert (record["id"], record["owner_id"], record["alt_text"]) == (own, ALICE, "mine")
    assert isinstance(record["variants"]["original"]["file_id"], str)
