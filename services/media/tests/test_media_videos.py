"""Videos: probed at upload, processed in the background into H.264/AAC MP4 with fast start and a
poster, announced when ready. The test videos are made with Debian's ffmpeg (`make ffmpeg`)."""

import subprocess
import tempfile
from pathlib import Path

import pytest
from media_support import MediaHarness, SettingsFactory, multipart

from media.app import create_app
from shared.personal_data import personal_media_path
from shared.testing import EventRecorder, identity_headers, running_service, wait_until

ALICE = "6756f0c2a1b2c3d4e5f60711"
FFMPEG = "/usr/bin/ffmpeg"

pytestmark = pytest.mark.skipif(
    not Path(FFMPEG).exists(), reason="Debian's ffmpeg is not installed: run `make ffmpeg`"
)


def video(container: str = "mp4", seconds: float = 1.0) -> bytes:
    """A small test pattern with a tone, made by ffmpeg."""
    codecs = ["-c:v", "libvpx", "-c:a", "libvorbis"] if container == "webm" else []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"clip.{container}"
        subprocess.run(  # noqa: S603 - fixed arguments, a test tool
            [
                FFMPEG,
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"testsrc=size=320x240:rate=15:duration={seconds}",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency=440:duration={seconds}",
                *codecs,
                "-shortest",
                str(out),
            ],
            check=True,
        )
        return out.read_bytes()


async def test_a_video_is_processed_into_a_web_safe_mp4_and_a_poster(
    media: MediaHarness, event_recorder: EventRecorder
) -> None:
    answer = await media.upload(ALICE, video("webm"), "video/webm", alt_text="A test pattern")
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["kind"] == "video"
    assert created["status"] in {"processing", "ready"}
    assert created["duration_s"] == pytest.approx(1.0, abs=0.2)

    async def ready() -> dict[str, object] | None:
        seen = await media.client.get(
            f"/v1/media/{created['id']}", headers=identity_headers(ALICE, "media")
        )
        body: dict[str, object] = seen.json()
        return body if body["status"] == "ready" else None

    body = await wait_until(ready, timeout=60)
    variants = body["variants"]
    assert isinstance(variants, dict)
    assert set(variants) == {"video", "poster"}
    played = await media.fetch(variants["video"])
    assert played.headers["content-type"] == "video/mp4"
    # Fast start: the index (moov) comes before the media data (mdat).
    assert 0 <= played.content.find(b"moov") < played.content.find(b"mdat")
    part = await media.fetch(variants["video"], {"Range": "bytes=0-99"})
    assert part.status_code == 206
    poster = await media.fetch(variants["poster"])
    assert poster.headers["content-type"] == "image/jpeg"
    (processed,) = await event_recorder.wait_for("media.processed")
    assert processed.data["status"] == "ready"
    assert processed.data["media_id"] == created["id"]


async def test_a_processed_video_is_what_its_owner_exports(media: MediaHarness) -> None:
    media_id = (await media.upload(ALICE, video("webm"), "video/webm")).json()["id"]

    async def exported() -> bytes | None:
        answer = await media.client.get(
            personal_media_path(media_id), headers=identity_headers(ALICE, "media")
        )
        return answer.content if answer.status_code == 200 else None

    data = await wait_until(exported, timeout=60)
    assert data[4:8] == b"ftyp"
    assert 0 <= data.find(b"moov") < data.find(b"mdat")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(b"<html>not a video</html>", "video/mp4"), (b"\x00\x00\x00\x18ftypmp42", "video/mp4")],
    ids=["not-a-video", "truncated"],
)
async def test_a_file_that_is_not_the_claimed_video_is_refused(
    media: MediaHarness, data: bytes, content_type: str
) -> None:
    answer = await media.upload(ALICE, data, content_type)
    assert answer.status_code == 422, answer.text


async def test_a_webm_claimed_as_mp4_is_refused(media: MediaHarness) -> None:
    answer = await media.upload(ALICE, video("webm"), "video/mp4")
    assert answer.status_code == 422


async def test_a_video_too_long_is_refused(media_settings: SettingsFactory) -> None:
    app = create_app(media_settings(max_video_seconds=0.5))
    async with running_service(app) as client:
        body, headers = multipart(video(seconds=1.0), "video/mp4")
        answer = await client.post(
            "/v1/media", content=body, headers=headers | identity_headers(ALICE, "media")
        )
    assert answer.status_code == 422
    assert "last at most" in answer.json()["detail"]
