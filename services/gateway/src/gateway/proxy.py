"""Forwarding a public request to the service that owns it, and streaming its answer back."""

import logging
from collections.abc import AsyncIterator, Mapping
from urllib.parse import unquote_plus

import aiohttp
from fastapi import Request, Response
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse
from yarl import URL

from gateway.domain import (
    QUERY_TOKEN_PARAMETER,
    Upstream,
    forwarded_request_headers,
    is_json_media_type,
    is_streaming,
    returned_response_headers,
)
from shared.identity import REQUEST_ID_HEADER, USER_ID_HEADER
from shared.logging import request_id_var
from shared.problems import (
    BadGateway,
    BadRequest,
    GatewayTimeout,
    PayloadTooLarge,
    ServiceUnavailable,
    problem_response,
)

log = logging.getLogger(__name__)

# Kept when a service's non-JSON error is rewritten as a problem: they tell the client what next.
_ERROR_HEADERS_KEPT = ("retry-after", "www-authenticate", "allow")


async def read_limited_body(request: Request, max_bytes: int) -> bytes:
    """The whole request body, refused with 413 as soon as it is known to exceed `max_bytes`.

    Bodies are small JSON documents, so they are read whole before forwarding: an oversized
    chunked body is refused before any service sees a byte of it.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise BadRequest("The Content-Length header is not a number.")
        if int(declared) > max_bytes:
            raise PayloadTooLarge(f"The request body exceeds {max_bytes} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"The request body exceeds {max_bytes} bytes.")
    return bytes(body)


class Proxy:
    """Sends requests to the services over one pooled aiohttp session, relays their answers.

    aiohttp rather than httpx on this path: about 0.1 ms of CPU per request against 0.9 ms
    here (bench/results/reads.md). Answers are read whole and returned with their length,
    except live event streams, which are relayed chunk by chunk as they arrive.
    """

    def __init__(self, base_urls: Mapping[Upstream, str], *, timeout_seconds: float) -> None:
        self._base_urls = {upstream: url.rstrip("/") for upstream, url in base_urls.items()}
        self._timeout_seconds = timeout_seconds
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        """Created on first use: a session belongs to the running event loop."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=200, limit_per_host=0, keepalive_timeout=30),
                # Bodies are relayed as sent; no headers of aiohttp's own reach the services.
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def forward(
        self, request: Request, upstream: Upstream, *, user_id: str | None, body: bytes
    ) -> Response:
        streaming = is_streaming(request.method, request.url.path)
        target = _forwarded_path(request) + _forwarded_query(request)
        headers = _forwarded_headers(request, user_id)
        if request_id := request_id_var.get():
            headers.append((REQUEST_ID_HEADER, request_id))
        try:
            answer = await self._client().request(
                request.method,
                URL(self._base_urls[upstream] + target, encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=self._timeout_for(streaming),
            )
            content = b"" if streaming else await answer.read()
        except aiohttp.ClientConnectorError:
            raise ServiceUnavailable(f"The {upstream} service is unavailable.") from None
        except TimeoutError:
            raise GatewayTimeout(f"The {upstream} service did not answer in time.") from None
        except aiohttp.ClientError as exc:
            log.warning("upstream transport error", extra={"upstream": upstream, "error": str(exc)})
            raise BadGateway(f"The {upstream} service gave no valid answer.") from None
        if answer.status >= 400 and not is_json_media_type(answer.headers.get("content-type")):
            answer.release()
            return _as_problem(answer, upstream)
        return _streamed(answer) if streaming else _whole(answer, content)

    def _timeout_for(self, streaming: bool) -> aiohttp.ClientTimeout:
        if streaming:
            # A live event stream may stay quiet for long; only connecting is bounded.
            return aiohttp.ClientTimeout(total=None, connect=self._timeout_seconds)
        return aiohttp.ClientTimeout(
            total=None, connect=self._timeout_seconds, sock_read=self._timeout_seconds
        )


def _forwarded_path(request: Request) -> str:
    """The path as the client encoded it: decoding `%3F` or `%2F` would change its meaning."""
    raw_path: bytes | None = request.scope.get("raw_path")
    if not raw_path:
        return request.url.path
    # Some servers include the query string in raw_path; the query is forwarded separately.
    return raw_path.partition(b"?")[0].decode("latin-1")


def _forwarded_query(request: Request) -> str:
    """The query as the client encoded it, but never the query token (services log URLs)."""
    raw: bytes = request.scope.get("query_string", b"")
    kept = [
        pair
        for pair in raw.decode("latin-1").split("&")
        if pair and unquote_plus(pair.partition("=")[0]) != QUERY_TOKEN_PARAMETER
    ]
    return "?" + "&".join(kept) if kept else ""


def _forwarded_headers(request: Request, user_id: str | None) -> list[tuple[str, str]]:
    headers = forwarded_request_headers(request.headers.items())
    if user_id is not None:
        headers.append((USER_ID_HEADER, user_id))
    if request.client is not None:
        headers.append(("X-Forwarded-For", request.client.host))
    headers.append(("X-Forwarded-Proto", request.url.scheme))
    return headers


def _returned_headers(answer: aiohttp.ClientResponse) -> list[tuple[bytes, bytes]]:
    raw = answer.raw_headers
    pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
    return [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in returned_response_headers(pairs)
    ]


def _whole(answer: aiohttp.ClientResponse, content: bytes) -> Response:
    response = Response(content, status_code=answer.status)
    headers = _returned_headers(answer)
    if not any(name.lower() == b"content-length" for name, _ in headers):
        headers += [(n, v) for n, v in response.raw_headers if n == b"content-length"]
    response.raw_headers = headers
    return response


def _streamed(answer: aiohttp.ClientResponse) -> StreamingResponse:
    """Relays the body chunk by chunk as it arrives: server-sent events flow one by one."""
    response = StreamingResponse(
        _relay(answer), status_code=answer.status, background=BackgroundTask(answer.release)
    )
    response.raw_headers = _returned_headers(answer)
    return response


async def _relay(answer: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    try:
        async for chunk in answer.content.iter_any():
            yield chunk
    except (aiohttp.ClientError, TimeoutError) as exc:
        # The status line is already sent: all that is left is to end the body early.
        log.warning("upstream stream broke", extra={"error": repr(exc)})


def _as_problem(answer: aiohttp.ClientResponse, upstream: Upstream) -> Response:
    kept = {name: answer.headers[name] for name in _ERROR_HEADERS_KEPT if name in answer.headers}
    return problem_response(
        answer.status,
        f"The {upstream} service could not handle the request.",
        headers=kept,
    )
