"""Bad uploads get a clear 4xx and store nothing; limits answer at once."""

import io
import zlib

import pytest
from media_support import MediaHarness, SettingsFactory, multipart, picture
from PIL import Image

from media.app import create_app
from shared.testing import identity_headers, running_service, wait_until

ALICE = "6756f0c2a1b2c3d4e5f60711"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def huge_png(width: int, height: int) -> bytes:
    """A valid PNG header of that size and a few compressed bytes: a decompression bomb."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    data = zlib.compress(row * 10)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


async def stored_count(media: MediaHarness) -> int:
    db = media.app.state.runtime.db
    return await db["media"].count_documents({}) + await db["blobs.files"].count_documents({})


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"<html><body>not a picture</body></html>", "image/jpeg", 422),
        (picture(kind="PNG"), "image/jpeg", 422),
        (picture()[:3000], "image/jpeg", 422),
        (SVG, "image/svg+xml", 415),
        (b"#!/bin/sh\n", "text/x-shellscript", 415),
        (huge_png(30000, 30000), "image/png", 422),
    ],
    ids=["html-as-jpeg", "png-as-jpeg", "truncated", "svg", "script", "30000x30000-png"],
)
async def test_bad_input_is_refused_and_nothing_is_stored(
    media: MediaHarness, data: bytes, content_type: str, status: int
) -> None:
    answer = await media.upload(ALICE, data, content_type)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert await stored_count(media) == 0


async def test_a_jpeg_html_polyglot_is_served_re_encoded(media: MediaHarness) -> None:
    polyglot = picture((300, 200)) + b"<html><script>alert(document.cookie)</script></html>"
    answer = await media.upload(ALICE, polyglot)
    assert answer.status_code == 201, answer.text
    for url in answer.json()["variants"].values():
        served = await media.fetch(url)
        assert b"<script" not in served.content
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-type"] == "image/jpeg"


async def test_an_oversized_body_is_refused_from_its_declared_length(
    media_settings: SettingsFactory,
) -> None:
    app = create_app(media_settings(max_image_bytes=50_000, max_video_bytes=50_000))
    async with running_service(app) as client:
        body, headers = multipart(b"\xff" * 200_000, "image/jpeg")
        answer = await client.post(
            "/v1/media", content=body, headers=headers | identity_headers(ALICE, "media")
        )
    assert answer.status_code == 413


async def test_a_picture_over_its_kind_limit_is_too_large(media_settings: SettingsFactory) -> None:
    app = create_app(media_settings(max_image_bytes=20_000, max_video_bytes=500_000))
    async with running_service(app) as client:
        body, headers = multipart(picture((2000, 2000), "PNG") + b"\0" * 30_000, "image/png")
        answer = await client.post(
            "/v1/media", content=body, headers=headers | identity_headers(ALICE, "media")
        )
    assert answer.status_code == 413
    assert "picture" in answer.json()["detail"]


async def test_the_upload_rate_is_limited_per_account(media_settings: SettingsFactory) -> None:
    app = create_app(media_settings(uploads_per_hour=2))
    async with running_service(app) as client:
        body, headers = multipart(picture((50, 50)), "image/jpeg")
        statuses = [
            (
                await client.post(
                    "/v1/media", content=body, headers=headers | identity_headers(ALICE, "media")
                )
            )
            for _ in range(3)
        ]
    assert [answer.status_code for answer in statuses] == [201, 201, 429]
    assert int(statuses[-1].headers["retry-after"]) > 0


async def test_the_storage_quota_is_a_clear_413(media_settings: SettingsFactory) -> None:
    app = create_app(media_settings(storage_quota_bytes=5_000))
    async with running_service(app) as client:
        body, headers = multipart(picture((1000, 1000)), "image/jpeg")
        answer = await client.post(
            "/v1/media", content=body, headers=headers | identity_headers(ALICE, "media")
        )
    assert answer.status_code == 413
    assert "storage is full" in answer.json()["detail"]


async def test_beyond_the_processing_slots_an_upload_is_refused_at_once(
    media_settings: SettingsFactory,
) -> None:
    import asyncio

    app = create_app(media_settings(processing_slots=1))
    async with running_service(app) as client:
        big, big_headers = multipart(picture((5000, 4000)), "image/jpeg")
        small, small_headers = multipart(picture((50, 50)), "image/jpeg")
        first = asyncio.create_task(
            client.post(
                "/v1/media", content=big, headers=big_headers | identity_headers(ALICE, "media")
            )
        )
        uploads = app.state.runtime.components.uploads
        await wait_until(lambda: uploads.slots.all_taken)
        second = await client.post(
            "/v1/media", content=small, headers=small_headers | identity_headers(ALICE, "media")
        )
        assert second.status_code == 503
        assert second.headers["retry-after"]
        assert (await first).status_code == 201


async def test_a_picture_with_too_many_pixels_is_refused_before_decoding(
    media: MediaHarness,
) -> None:
    image = Image.new("1", (9000, 9000))
    out = io.BytesIO()
    image.save(out, "PNG")
    answer = await media.upload(ALICE, out.getvalue(), "image/png")
    assert answer.status_code == 422
    assert "pixels" in answer.json()["detail"]
