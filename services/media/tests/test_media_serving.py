"""Serving variants: the produced type, nosniff, ETag, HEAD, ranges, and who may fetch what."""

from urllib.parse import parse_qs, urlsplit

from media_support import MediaHarness, picture

ALICE = "6756f0c2a1b2c3d4e5f60711"


async def uploaded_small(media: MediaHarness) -> str:
    answer = await media.upload(ALICE, picture((800, 600)))
    return str(answer.json()["variants"]["small"])


async def test_an_unattached_upload_is_served_only_through_its_signed_url(
    media: MediaHarness,
) -> None:
    signed = await uploaded_small(media)
    served = await media.fetch(signed)
    assert served.status_code == 200
    assert served.headers["cache-control"] == "private, no-store"
    bare = urlsplit(signed).path
    assert (await media.fetch(bare)).status_code == 404
    query = parse_qs(urlsplit(signed).query)
    tampered = f"{bare}?expires={int(query['expires'][0]) + 60}&signature={query['signature'][0]}"
    assert (await media.fetch(tampered)).status_code == 404
    other_variant = signed.replace("/small?", "/large?")
    assert (await media.fetch(other_variant)).status_code == 404


async def test_an_expired_signed_url_is_refused(media: MediaHarness) -> None:
    signer = media.app.state.runtime.components.queries.signer
    media_id = urlsplit(await uploaded_small(media)).path.split("/")[2]
    from datetime import UTC, datetime, timedelta

    long_ago = datetime.now(UTC) - timedelta(days=1)
    assert (await media.fetch(signer.signed_path(media_id, "small", long_ago))).status_code == 404


async def test_etag_head_and_ranges(media: MediaHarness) -> None:
    url = await uploaded_small(media)
    whole = await media.fetch(url)
    etag = whole.headers["etag"]
    assert whole.headers["x-content-type-options"] == "nosniff"
    assert whole.headers["accept-ranges"] == "bytes"
    assert int(whole.headers["content-length"]) == len(whole.content)

    again = await media.fetch(url, {"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""

    head = await media.head(url)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(whole.content))
    assert head.content == b""

    part = await media.fetch(url, {"Range": "bytes=10-99"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 10-99/{len(whole.content)}"
    assert part.content == whole.content[10:100]
    tail = await media.fetch(url, {"Range": "bytes=-50"})
    assert tail.content == whole.content[-50:]
    outside = await media.fetch(url, {"Range": f"bytes={len(whole.content) + 5}-"})
    assert outside.status_code == 416
    assert outside.headers["content-range"] == f"bytes */{len(whole.content)}"


async def test_an_unknown_medium_or_variant_is_not_found(media: MediaHarness) -> None:
    url = await uploaded_small(media)
    assert (await media.fetch("/media/6756f0c2a1b2c3d4e5f60799/small")).status_code == 404
    assert (await media.fetch(url.replace("/small?", "/poster?"))).status_code == 404
