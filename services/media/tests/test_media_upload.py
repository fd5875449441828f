"""Uploading pictures: what is accepted, what is produced, what is refused and why."""

import io

from media_support import MediaHarness, picture
from PIL import Image

ALICE = "6756f0c2a1b2c3d4e5f60711"
BOB = "6756f0c2a1b2c3d4e5f60712"


async def test_a_picture_is_stored_in_three_sizes_with_a_placeholder(media: MediaHarness) -> None:
    answer = await media.upload(ALICE, picture((3000, 2000)), alt_text="Stripes")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["kind"] == "image"
    assert body["status"] == "ready"
    assert body["alt_text"] == "Stripes"
    assert (body["width"], body["height"]) == (3000, 2000)
    assert len(body["blurhash"]) == 28
    assert set(body["variants"]) == {"small", "large", "original"}
    small = await media.fetch(body["variants"]["small"])
    assert small.status_code == 200
    assert small.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(small.content)).size == (400, 267)
    large = await media.fetch(body["variants"]["large"])
    assert Image.open(io.BytesIO(large.content)).size == (1600, 1067)


async def test_orientation_is_applied_and_every_metadata_block_stripped(
    media: MediaHarness,
) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "Camera maker"
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 24.0)  # GPS latitude
    answer = await media.upload(ALICE, picture((600, 400), exif=exif))
    body = answer.json()
    assert (body["width"], body["height"]) == (400, 600)
    served = await media.fetch(body["variants"]["original"])
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (400, 600)
    assert not image.getexif()
    assert b"Camera maker" not in served.content


async def test_png_webp_and_gif_are_accepted(media: MediaHarness) -> None:
    for kind, content_type in (("PNG", "image/png"), ("WEBP", "image/webp"), ("GIF", "image/gif")):
        answer = await media.upload(ALICE, picture((300, 200), kind), content_type)
        assert answer.status_code == 201, (kind, answer.text)


async def test_an_animated_gif_stays_animated(media: MediaHarness) -> None:
    frames = [Image.new("RGB", (120, 90), (index * 60, 0, 0)) for index in range(4)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    answer = await media.upload(ALICE, out.getvalue(), "image/gif")
    served = await media.fetch(answer.json()["variants"]["small"])
    assert served.headers["content-type"] == "image/webp"
    assert getattr(Image.open(io.BytesIO(served.content)), "n_frames", 1) == 4


async def test_the_type_is_taken_from_the_file_name_when_the_part_has_none(
    media: MediaHarness,
) -> None:
    answer = await media.upload(
        ALICE, picture(kind="PNG"), "application/octet-stream", filename="a.png"
    )
    assert answer.status_code == 201, answer.text


async def test_alt_text_is_edited_by_the_uploader_only(media: MediaHarness) -> None:
    media_id = (await media.upload(ALICE, picture())).json()["id"]
    from shared.testing import identity_headers

    edited = await media.client.patch(
        f"/v1/media/{media_id}",
        json={"alt_text": "A red and blue flag"},
        headers=identity_headers(ALICE, "media"),
    )
    assert edited.json()["alt_text"] == "A red and blue flag"
    refused = await media.client.patch(
        f"/v1/media/{media_id}", json={"alt_text": "mine"}, headers=identity_headers(BOB, "media")
    )
    assert refused.status_code == 404
    seen = await media.client.get(f"/v1/media/{media_id}", headers=identity_headers(BOB, "media"))
    assert seen.status_code == 404
