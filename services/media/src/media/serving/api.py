"""Serving media: GET and HEAD /media/{id}/{variant}, with ETag, Range and caching rules.

Through the gateway, without a token: public media (attached to a published post) to anyone,
cached for good (a variant never changes); the others only with a valid signed URL.
"""

import re

from fastapi import APIRouter, Depends, Request, Response
from starlette.responses import StreamingResponse

from media.components import Components
from media.core.repository import chunks
from shared.clock import utc_now
from shared.identity import GATEWAY, require_caller
from shared.mongo import Document
from shared.problems import NotFound, problem_response

router = APIRouter(tags=["media"], dependencies=[Depends(require_caller(GATEWAY))])

PUBLIC_CACHE = "public, max-age=31536000, immutable"
PRIVATE_CACHE = "private, no-store"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@router.api_route(
    "/media/{media_id}/{variant}", methods=["GET", "HEAD"], name="serve", include_in_schema=False
)
async def serve_variant(
    media_id: str,
    variant: str,
    request: Request,
    components: Components,
    expires: int | None = None,
    signature: str | None = None,
) -> Response:
    document = await components.repository.get_alive(media_id)
    stored = _variant(document, variant)
    if document is None or stored is None:
        raise NotFound("There is no such medium.")
    public = bool(document.get("public"))
    if not public and not components.queries.signer.is_valid(
        media_id, variant, expires, signature, utc_now()
    ):
        raise NotFound("There is no such medium.")
    etag = f'"{stored["etag"]}"'
    headers = {
        "ETag": etag,
        "Cache-Control": PUBLIC_CACHE if public else PRIVATE_CACHE,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Accept-Ranges": "bytes",
    }
    if etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    size = int(stored["bytes"])
    try:
        wanted = _range(request.headers.get("range"), size)
    except _Unsatisfiable:
        return problem_response(
            416, "The range is outside the file.", headers={"Content-Range": f"bytes */{size}"}
        )
    start, end = wanted or (0, size - 1)
    length = end - start + 1
    headers["Content-Type"] = stored["content_type"]
    headers["Content-Length"] = str(length)
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    stream = await components.blobs.open(stored["file_id"])
    if stream is None:
        raise NotFound("There is no such medium.")
    return StreamingResponse(chunks(stream, start, length), status_code=status, headers=headers)


def _variant(document: Document | None, variant: str) -> Document | None:
    if document is None or document.get("status") != "ready":
        return None
    found: Document | None = document.get("variants", {}).get(variant)
    return found


def _etags(header: str | None) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in (header or "").split(",") if tag.strip()}


class _Unsatisfiable(Exception):
    """The range asked lies outside the file."""


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """One `bytes=` range as (first, last); None for the whole file (no or several ranges,
    which a server may answer whole); `_Unsatisfiable` when it lies outside the file."""
    match = _RANGE.match((header or "").strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise _Unsatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise _Unsatisfiable
    return start, end
