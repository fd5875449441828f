"""Pictures through the gateway: an author posts a picture, and her followers see it on their
timeline cards and load it without a token; bad uploads get a clear 4xx and store nothing."""

import io
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from collaboration import accept_invitation, home_timeline_becomes, received_invitation
from conftest import E2EUser, NewUser
from PIL import Image

from shared.testing import wait_until

# The media service's SIGNED_URL_SECONDS where the stack leaves it unset.
SIGNED_URL_SECONDS = 3600


def jpeg(size: tuple[int, int] = (1200, 900)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


async def upload(
    user: E2EUser, data: bytes, content_type: str = "image/jpeg", **form: str
) -> httpx.Response:
    return await user.client.post(
        "/v1/media", files={"file": ("picture", data, content_type)}, data=form
    )


async def uploaded(user: E2EUser, alt_text: str = "A painting") -> dict[str, Any]:
    answer = await upload(user, jpeg(), alt_text=alt_text)
    assert answer.status_code == 201, answer.text
    medium: dict[str, Any] = answer.json()
    return medium


async def anonymous_get(gateway_url: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gateway_url) as client:
        return await client.get(path)


async def test_an_artists_picture_reaches_both_audiences_on_their_cards(
    ada: E2EUser, bob: E2EUser, new_user: NewUser, stack: str
) -> None:
    """The seed's story: Ada posts Bob's picture and credits him; once he accepts, followers of
    either see the picture on the card and load it, cached for good, without a token."""
    of_ada, of_bob = await new_user("of_ada"), await new_user("of_bob")
    assert (await of_ada.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 204
    assert (await of_bob.client.put(f"/v1/users/{bob.handle}/follow")).status_code == 204
    medium = await uploaded(ada, "Bob's harbour at dusk")
    assert (await anonymous_get(stack, medium["variants"]["small"])).status_code == 200
    bare = medium["variants"]["small"].split("?")[0]
    assert (await anonymous_get(stack, bare)).status_code == 404

    created = await ada.client.post(
        "/v1/posts",
        json={"text": "Painted by Bob", "coauthors": [bob.handle], "media_ids": [medium["id"]]},
    )
    assert created.status_code == 201, created.text
    post = created.json()
    assert [item["id"] for item in post["media"]] == [medium["id"]]
    await accept_invitation(bob, post["id"])

    for reader in (of_ada, of_bob):
        await home_timeline_becomes(reader, [post["id"]])
        (card,) = (await reader.client.get("/v1/timeline")).json()["items"]
        (shown,) = card["media"]
        assert shown["alt_text"] == "Bob's harbour at dusk"
        assert shown["blurhash"] == medium["blurhash"]
        assert (shown["width"], shown["height"]) == (1200, 900)
        picture = await anonymous_get(stack, shown["variants"]["small"])
        assert picture.status_code == 200
        assert picture.headers["content-type"] == "image/jpeg"
        assert picture.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert picture.headers["x-content-type-options"] == "nosniff"
        assert Image.open(io.BytesIO(picture.content)).size == (400, 300)
        part = await reader.client.get(shown["variants"]["small"], headers={"Range": "bytes=0-9"})
        assert part.status_code == 206
        assert part.content == picture.content[:10]


async def test_the_invitee_sees_a_pending_posts_picture_before_accepting(
    ada: E2EUser, bob: E2EUser, new_user: NewUser, stack: str
) -> None:
    """ "Ask the artist to approve it": the invitation shows Bob the picture through short-lived
    signed URLs; a stranger gets 404 for the same picture until the post is published."""
    stranger = await new_user("stranger")
    medium = await uploaded(ada, "Bob's harbour at dusk")
    created = await ada.client.post(
        "/v1/posts",
        json={
            "text": "Painted by Bob",
            "coauthors": [{"handle": bob.handle, "credit": "photo"}],
            "media_ids": [medium["id"]],
            "publish_mode": "when_accepted",
        },
    )
    assert created.status_code == 201, created.text
    post_id = created.json()["id"]

    invitation = await received_invitation(bob, post_id)
    assert invitation["credit"] == "photo"
    (shown,) = invitation["post_media"]
    assert shown["id"] == medium["id"]
    assert shown["alt_text"] == "Bob's harbour at dusk"
    signed = shown["variants"]["large"]
    query = parse_qs(urlsplit(signed).query)
    assert int(query["expires"][0]) <= time.time() + SIGNED_URL_SECONDS + 60
    picture = await anonymous_get(stack, signed)
    assert picture.status_code == 200
    assert picture.headers["cache-control"] == "private, no-store"
    assert Image.open(io.BytesIO(picture.content)).size == (1200, 900)

    bare = signed.split("?")[0]
    assert (await anonymous_get(stack, bare)).status_code == 404
    assert (await stranger.client.get(bare)).status_code == 404
    assert (await stranger.client.get(f"/v1/media/{medium['id']}")).status_code == 404
    assert (await stranger.client.get(f"/v1/posts/{post_id}")).status_code == 404
    expired = signed.replace(f"expires={query['expires'][0]}", "expires=1000000000")
    assert (await anonymous_get(stack, expired)).status_code == 404

    await accept_invitation(bob, post_id)

    async def public() -> bool:
        return (await anonymous_get(stack, bare)).status_code == 200

    await wait_until(public)


async def test_a_pending_posts_picture_loads_from_the_post_for_its_author_and_invitee(
    ada: E2EUser, bob: E2EUser, new_user: NewUser, stack: str
) -> None:
    """The post itself carries signed URLs while pending, for those who may see it; once
    published, the public path."""
    stranger = await new_user("stranger")
    medium = await uploaded(ada, "Bob's harbour at dusk")
    created = await ada.client.post(
        "/v1/posts",
        json={
            "text": "Painted by Bob",
            "coauthors": [bob.handle],
            "media_ids": [medium["id"]],
            "publish_mode": "when_accepted",
        },
    )
    assert created.status_code == 201, created.text
    post_id = created.json()["id"]
    bare = f"/media/{medium['id']}/small"

    for reader in (ada, bob):
        post = await reader.client.get(f"/v1/posts/{post_id}")
        assert post.status_code == 200, post.text
        (shown,) = post.json()["media"]
        signed = shown["variants"]["small"]
        assert signed.startswith(f"{bare}?")
        assert int(parse_qs(urlsplit(signed).query)["expires"][0]) <= (
            time.time() + SIGNED_URL_SECONDS + 60
        )
        picture = await anonymous_get(stack, signed)
        assert picture.status_code == 200
        assert picture.headers["cache-control"] == "private, no-store"
        assert Image.open(io.BytesIO(picture.content)).size == (400, 300)

    assert (await stranger.client.get(f"/v1/posts/{post_id}")).status_code == 404
    assert (await stranger.client.get(bare)).status_code == 404
    assert (await anonymous_get(stack, bare)).status_code == 404

    await accept_invitation(bob, post_id)

    async def published_media() -> list[dict[str, Any]] | None:
        post = (await stranger.client.get(f"/v1/posts/{post_id}")).json()
        return post["media"] if post.get("status") == "published" else None

    (shown,) = await wait_until(published_media)
    assert shown["variants"]["small"] == bare

    async def public() -> bool:
        return (await anonymous_get(stack, bare)).status_code == 200

    await wait_until(public)


async def test_alt_text_edited_after_posting_reaches_the_post_and_the_cards(
    ada: E2EUser, new_user: NewUser
) -> None:
    reader = await new_user("reader")
    assert (await reader.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 204
    medium = await uploaded(ada, "A harbour")
    post = (
        await ada.client.post("/v1/posts", json={"text": "Dusk", "media_ids": [medium["id"]]})
    ).json()
    await home_timeline_becomes(reader, [post["id"]])

    edited = await ada.client.patch(
        f"/v1/media/{medium['id']}", json={"alt_text": "The harbour at dusk, two boats"}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["alt_text"] == "The harbour at dusk, two boats"

    async def post_alt_text() -> str | None:
        shown = (await reader.client.get(f"/v1/posts/{post['id']}")).json()["media"][0]
        return str(shown["alt_text"]) if shown["alt_text"] != "A harbour" else None

    async def card_alt_text() -> str | None:
        (card,) = (await reader.client.get("/v1/timeline")).json()["items"]
        shown = card["media"][0]
        return str(shown["alt_text"]) if shown["alt_text"] != "A harbour" else None

    assert await wait_until(post_alt_text, timeout=10) == "The harbour at dusk, two boats"
    assert await wait_until(card_alt_text, timeout=10) == "The harbour at dusk, two boats"
    not_hers = await reader.client.patch(f"/v1/media/{medium['id']}", json={"alt_text": "x"})
    assert not_hers.status_code == 404


async def test_a_deleted_posts_pictures_answer_404(ada: E2EUser, stack: str) -> None:
    medium = await uploaded(ada)
    post = (
        await ada.client.post("/v1/posts", json={"text": "", "media_ids": [medium["id"]]})
    ).json()
    public = post["media"][0]["variants"]["large"]
    assert (await anonymous_get(stack, public)).status_code == 200
    assert (await ada.client.delete(f"/v1/posts/{post['id']}")).status_code == 204

    async def gone() -> bool:
        return (await anonymous_get(stack, public)).status_code == 404

    await wait_until(gone)


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"<html><script>alert(1)</script></html>", "image/jpeg", 422),
        (jpeg()[:2000], "image/jpeg", 422),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
            "image/svg+xml",
            415,
        ),
    ],
    ids=["not-the-claimed-type", "truncated", "svg"],
)
async def test_bad_uploads_are_refused_with_a_problem(
    ada: E2EUser, data: bytes, content_type: str, status: int
) -> None:
    answer = await upload(ada, data, content_type)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_huge_png_is_refused_before_it_is_decoded(ada: E2EUser) -> None:
    out = io.BytesIO()
    Image.new("1", (30000, 30000)).save(out, "PNG")
    answer = await upload(ada, out.getvalue(), "image/png")
    assert answer.status_code == 422
    assert "pixels" in answer.json()["detail"]


async def test_an_oversized_body_is_refused_by_the_gateway(ada: E2EUser) -> None:
    answer = await upload(ada, b"\xff" * (4 * 1024 * 1024))
    assert answer.status_code == 413


async def test_a_jpeg_html_polyglot_is_served_re_encoded(ada: E2EUser, stack: str) -> None:
    polyglot = jpeg((300, 200)) + b"<html><body><script>alert(document.cookie)</script>"
    medium = (await upload(ada, polyglot)).json()
    served = await anonymous_get(stack, medium["variants"]["original"])
    assert served.headers["content-type"] == "image/jpeg"
    assert b"<script" not in served.content


async def test_posts_take_only_the_callers_own_free_uploads_up_to_four(
    ada: E2EUser, bob: E2EUser
) -> None:
    bobs = await uploaded(bob)
    refused = await ada.client.post("/v1/posts", json={"text": "x", "media_ids": [bobs["id"]]})
    assert refused.status_code == 404
    mine = await uploaded(ada)
    first = await ada.client.post("/v1/posts", json={"text": "1", "media_ids": [mine["id"]]})
    assert first.status_code == 201
    second = await ada.client.post("/v1/posts", json={"text": "2", "media_ids": [mine["id"]]})
    assert second.status_code == 409
    five = [(await uploaded(ada))["id"] for _ in range(5)]
    too_many = await ada.client.post("/v1/posts", json={"text": "5", "media_ids": five})
    assert too_many.status_code == 422
    seen = await bob.client.get(f"/v1/media/{mine['id']}")
    assert seen.status_code == 200
    unseen = await bob.client.get(f"/v1/media/{five[0]}")
    assert unseen.status_code == 404


async def test_a_profile_picture_shows_on_the_profile_and_on_cards(
    ada: E2EUser, new_user: NewUser, stack: str
) -> None:
    reader = await new_user("reader")
    assert (await reader.client.put(f"/v1/users/{ada.handle}/follow")).status_code == 204
    medium = await uploaded(ada)
    changed = await ada.client.patch("/v1/me", json={"avatar_media_id": medium["id"]})
    assert changed.status_code == 200, changed.text
    avatar = changed.json()["avatar"]
    small = await anonymous_get(stack, avatar["small"])
    assert small.status_code == 200
    assert Image.open(io.BytesIO(small.content)).size == (96, 96)
    profile = await reader.client.get(f"/v1/users/{ada.handle}")
    assert profile.json()["avatar"] == avatar

    post = await ada.client.post("/v1/posts", json={"text": "With a face now"})
    await home_timeline_becomes(reader, [post.json()["id"]])

    async def card_author_avatar() -> dict[str, str] | None:
        (card,) = (await reader.client.get("/v1/timeline")).json()["items"]
        shown: dict[str, str] | None = card["author"]["avatar"]
        return shown

    assert await wait_until(card_author_avatar) == avatar


NO_FFMPEG = pytest.mark.skipif(
    not Path("/usr/bin/ffmpeg").exists(), reason="Debian's ffmpeg is not installed: make ffmpeg"
)


@NO_FFMPEG
async def test_a_video_is_processed_then_posted_and_played_in_ranges(
    ada: E2EUser, stack: str
) -> None:
    """Locally with Debian's ffmpeg, and in containers, where the media image carries it."""
    data = one_second_clip()
    created = await upload(ada, data, "video/mp4")
    assert created.status_code == 201, created.text
    media_id = created.json()["id"]

    async def ready() -> dict[str, Any] | None:
        medium: dict[str, Any] = (await ada.client.get(f"/v1/media/{media_id}")).json()
        return medium if medium["status"] == "ready" else None

    await wait_until(ready, timeout=60)
    post = await ada.client.post("/v1/posts", json={"text": "", "media_ids": [media_id]})
    assert post.status_code == 201, post.text
    (shown,) = post.json()["media"]
    assert shown["kind"] == "video"
    assert set(shown["variants"]) == {"video", "poster"}
    part = await anonymous_get_range(stack, shown["variants"]["video"], "bytes=0-1023")
    assert part.status_code == 206
    assert part.headers["content-type"] == "video/mp4"
    assert len(part.content) == 1024
    whole = await anonymous_get(stack, shown["variants"]["video"])
    assert whole.content[:1024] == part.content
    assert streams_of(whole.content) == ["h264", "aac"]
    # Fast start: the index (moov) comes before the media data (mdat).
    assert 0 <= whole.content.find(b"moov") < whole.content.find(b"mdat")
    poster = await anonymous_get(stack, shown["variants"]["poster"])
    assert poster.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(poster.content)).format == "JPEG"


def streams_of(video: bytes) -> list[str]:
    """The codec of each stream of an MP4, read by Debian's ffprobe."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "video.mp4"
        path.write_bytes(video)
        probed = subprocess.run(  # noqa: S603 - fixed arguments, a test tool
            [
                "/usr/bin/ffprobe",
                *("-v", "error", "-show_entries", "stream=codec_name"),
                *("-of", "default=noprint_wrappers=1:nokey=1", str(path)),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return probed.stdout.split()


async def anonymous_get_range(gateway_url: str, path: str, wanted: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gateway_url) as client:
        return await client.get(path, headers={"Range": wanted})


def one_second_clip() -> bytes:
    """A test pattern with a tone, made by Debian's ffmpeg."""
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "clip.mp4"
        subprocess.run(  # noqa: S603 - fixed arguments, a test tool
            [
                "/usr/bin/ffmpeg",
                *("-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15:duration=1"),
                *("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-shortest", str(clip)),
            ],
            check=True,
        )
        return clip.read_bytes()
