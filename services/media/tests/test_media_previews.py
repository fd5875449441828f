"""A pending post's media shown to those who may see it: the invitations service (invitations)
or the posts service (the post itself) asks, signed as itself, and gets URLs that work until
they expire; nothing for media not on the post it names."""

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from urllib.parse import parse_qs, urlsplit

from media_support import MediaHarness, picture

from shared.public_media import PREVIEWS_PATH, PostMediaIds, PreviewsRequest, media_path
from shared.testing import caller_headers, wait_until

ALICE = "6756f0c2a1b2c3d4e5f60711"
PENDING_POST = "6756f0c2a1b2c3d4e5f60a01"
OTHER_POST = "6756f0c2a1b2c3d4e5f60a02"


async def previews(
    media: MediaHarness, post_id: str, media_ids: list[str], *, caller: str = "invitations"
) -> list[dict[str, object]]:
    request = PreviewsRequest(posts=[PostMediaIds(post_id=post_id, media_ids=media_ids)])
    answer = await media.client.post(
        PREVIEWS_PATH, json=request.model_dump(), headers=caller_headers(caller, "media")
    )
    assert answer.status_code == 200, answer.text
    shown: list[dict[str, object]] = answer.json()["media"]
    return shown


async def pending_post_medium(media: MediaHarness) -> str:
    media_id = str((await media.upload(ALICE, picture((500, 300)), alt_text="A flag")).json()["id"])
    attached = await media.attach(ALICE, PENDING_POST, [media_id], public=False)
    assert attached.status_code == 200, attached.text
    return media_id


async def test_a_pending_posts_media_are_previewed_through_signed_urls_only(
    media: MediaHarness,
) -> None:
    media_id = await pending_post_medium(media)
    (shown,) = await previews(media, PENDING_POST, [media_id])
    assert shown["alt_text"] == "A flag"
    variants = shown["variants"]
    assert isinstance(variants, dict)
    signed = await media.fetch(variants["small"])
    assert signed.status_code == 200
    assert signed.headers["cache-control"] == "private, no-store"
    assert (await media.fetch(media_path(media_id, "small"))).status_code == 404
    assert await previews(media, OTHER_POST, [media_id]) == []


async def test_the_posts_service_gets_the_same_signed_urls_for_the_post_itself(
    media: MediaHarness,
) -> None:
    media_id = await pending_post_medium(media)
    (shown,) = await previews(media, PENDING_POST, [media_id], caller="posts")
    variants = shown["variants"]
    assert isinstance(variants, dict)
    assert (await media.fetch(variants["large"])).status_code == 200


async def test_only_the_invitations_and_posts_services_may_ask_for_previews(
    media: MediaHarness,
) -> None:
    request = PreviewsRequest(posts=[PostMediaIds(post_id=PENDING_POST, media_ids=["x"])])
    answer = await media.client.post(
        PREVIEWS_PATH, json=request.model_dump(), headers=caller_headers("users", "media")
    )
    assert answer.status_code == 403


async def test_a_previews_signed_url_stops_working_when_it_expires(
    start_media: Callable[..., AbstractAsyncContextManager[MediaHarness]],
) -> None:
    async with start_media(signed_url_seconds=1) as media:
        media_id = await pending_post_medium(media)
        (shown,) = await previews(media, PENDING_POST, [media_id])
        variants = shown["variants"]
        assert isinstance(variants, dict)
        url = variants["small"]
        assert int(parse_qs(urlsplit(url).query)["expires"][0]) <= time.time() + 2
        assert (await media.fetch(url)).status_code == 200

        async def expired() -> bool:
            return (await media.fetch(url)).status_code == 404

        await wait_until(expired, timeout=5)
