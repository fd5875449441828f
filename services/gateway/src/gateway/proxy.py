"""Forwarding a public request to the service that owns it, and streaming its answer back."""

import logging
from collections.abc import AsyncIterator, Mapping
from urllib.parse import unquote_plus

import aiohttp
from fastapi import Request, Response
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse
from yarl import URL

from gateway.country import COUNTRY_SCOPE_KEY
from gateway.domain import (
    QUERY_TOKEN_PARAMETER,
    address_key,
    forwarded_request_headers,
    is_json_media_type,
    is_streaming,
    returned_response_headers,
)
from gateway.shared_limits import StreamSlot, StreamSlots
from shared.identity import ASSERTION_HEADER, REQUEST_ID_HEADER, AssertionSigner
from shared.internal_http import IDLE_CONNECTION_SECONDS
from shared.logging import request_id_var
from shared.observability import OPEN_STREAMS
from shared.problems import (
    BadGateway,
    BadRequest,
    GatewayTimeout,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    problem_response,
)
from shared.services import Backend

log = logging.getLogger(__name__)

# When every stream connection is taken, one usually frees up soon.
STREAM_POOL_FULL_RETRY_AFTER_SECONDS = 5
# Ordinary requests: connections kept open to all the services together.
REQUEST_POOL_CONNECTIONS = 200

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


def _session(limit: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=limit, limit_per_host=0, keepalive_timeout=IDLE_CONNECTION_SECONDS
        ),
        # Bodies are relayed as sent; no headers of aiohttp's own reach the services.
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept-Encoding"),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


class _StreamSlots:
    """The stream pool's connections: taken when a stream is forwarded, given back when its
    answer is released. Counted here so a full pool is refused at once, not after a wait."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken = 0

    def take(self) -> bool:
        if self.taken >= self.limit:
            return False
        self.taken += 1
        OPEN_STREAMS.labels("gateway").set(self.taken)
        return True

    def give_back(self) -> None:
        self.taken = max(0, self.taken - 1)
        OPEN_STREAMS.labels("gateway").set(self.taken)


class Proxy:
    """Sends requests to the services over pooled aiohttp sessions, relays their answers.

    aiohttp rather than httpx on this path: about 0.1 ms of CPU per request against 0.9 ms
    here (bench/results/reads.md). Answers are read whole and returned with their length,
    except live event streams, which are relayed chunk by chunk as they arrive.

    Streams (the notification stream) go through a session of their own, whose pool has its
    own size: however many streams are open, ordinary requests keep their connections. A
    stream beyond that size is a 503 with Retry-After. Every forwarded request carries an
    assertion, signed for the service it goes to, naming the verified user (or none).
    """

    def __init__(
        self,
        base_urls: Mapping[Backend, str],
        signer: AssertionSigner,
        *,
        timeout_seconds: float,
        stream_max_connections: int,
        stream_shares: StreamSlots,
    ) -> None:
        self._base_urls = {upstream: url.rstrip("/") for upstream, url in base_urls.items()}
        self._signer = signer
        # Made once: aiohttp takes the same timeouts for every request.
        self._request_timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout_seconds, sock_read=timeout_seconds
        )
        # A live event stream may stay quiet for long; only connecting is bounded.
        self._stream_timeout = aiohttp.ClientTimeout(total=None, connect=timeout_seconds)
        self._stream_slots = _StreamSlots(stream_max_connections)
        self._stream_shares = stream_shares
        self._requests: aiohttp.ClientSession | None = None
        self._streams: aiohttp.ClientSession | None = None

    def _client(self, streaming: bool) -> aiohttp.ClientSession:
        """Created on first use: a session belongs to the running event loop."""
        if streaming:
            if self._streams is None:
                self._streams = _session(self._stream_slots.limit)
            return self._streams
        if self._requests is None:
            self._requests = _session(REQUEST_POOL_CONNECTIONS)
        return self._requests

    async def aclose(self) -> None:
        for session in (self._requests, self._streams):
            if session is not None:
                await session.close()
        self._requests = self._streams = None

    async def forward(
        self, request: Request, upstream: Backend, *, user_id: str | None, body: bytes
    ) -> Response:
        if not is_streaming(request.method, request.scope["path"]):
            return await self._forward(request, upstream, None, user_id, body)
        share = await self._take_stream_share(request, user_id)
        if not self._stream_slots.take():
            await self._stream_shares.give_back(share)
            raise _all_streams_taken()
        release = _Release(self._stream_slots, self._stream_shares, share)
        try:
            return await self._forward(request, upstream, release, user_id, body)
        except BaseException:
            await release()
            raise

    async def _take_stream_share(self, request: Request, user_id: str | None) -> StreamSlot:
        """The caller's share of the streams of every gateway: per account and per address."""
        address = address_key(request.client.host if request.client else "unknown")
        taken = await self._stream_shares.take(user_id or "", address)
        if taken == "all":
            raise _all_streams_taken()
        if isinstance(taken, str):
            raise TooManyRequests(
                f"Too many streams are open for this {taken}.",
                retry_after_seconds=STREAM_POOL_FULL_RETRY_AFTER_SECONDS,
            )
        return taken

    async def _forward(
        self,
        request: Request,
        upstream: Backend,
        release: "_Release | None",
        user_id: str | None,
        body: bytes,
    ) -> Response:
        """Sends one request; a stream (with its `release`) gives its slots back when its
        answer is released."""
        streaming = release is not None
        target = _forwarded_path(request) + _forwarded_query(request)
        headers = self._forwarded_headers(request, upstream, user_id, target, body)
        try:
            answer = await self._client(streaming).request(
                request.method,
                URL(self._base_urls[upstream] + target, encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=self._stream_timeout if streaming else self._request_timeout,
            )
            content = b"" if streaming else await answer.read()
        except aiohttp.ClientConnectorError:
            raise ServiceUnavailable(f"The {upstream} service is unavailable.") from None
        except TimeoutError:
            raise GatewayTimeout(f"The {upstream} service did not answer in time.") from None
        except aiohttp.ClientError as exc:
            log.warning("upstream transport error", extra={"upstream": upstream, "error": str(exc)})
            raise BadGateway(f"The {upstream} service gave no valid answer.") from None
        if release is None:
            if answer.status >= 400 and not is_json_media_type(answer.headers.get("content-type")):
                answer.release()
                return _as_problem(answer, upstream)
            return _whole(answer, content)
        release.answer = answer
        if answer.status >= 400 and not is_json_media_type(answer.headers.get("content-type")):
            await release()
            return _as_problem(answer, upstream)
        return _streamed(answer, release)

    def _forwarded_headers(
        self, request: Request, upstream: Backend, user_id: str | None, target: str, body: bytes
    ) -> list[tuple[str, str]]:
        """The client's headers minus identity and hop ones, plus an assertion for `upstream`.

        The assertion names the verified user (or none) and is bound to this request's id,
        method, target and body.
        """
        headers = forwarded_request_headers(request.headers.items())
        request_id = request_id_var.get() or ""
        headers.append((REQUEST_ID_HEADER, request_id))
        country = request.scope.get(COUNTRY_SCOPE_KEY)
        assertion = self._signer.sign(
            upstream,
            request_id,
            user_id,
            method=request.method,
            target=target,
            body=body,
            country=country,
        )
        headers.append((ASSERTION_HEADER, assertion))
        if request.client is not None:
            headers.append(("X-Forwarded-For", request.client.host))
        headers.append(("X-Forwarded-Proto", request.scope.get("scheme", "http")))
        if "host" in request.headers:
            headers.append(("X-Forwarded-Host", request.headers["host"]))
        return headers


class _Release:
    """Ends a relayed stream once: releases the upstream answer and gives its slots back."""

    def __init__(self, slots: _StreamSlots, shares: StreamSlots, share: StreamSlot) -> None:
        self.answer: aiohttp.ClientResponse | None = None
        self._slots = slots
        self._shares = shares
        self._share = share
        self._done = False

    async def __call__(self) -> None:
        if self._done:
            return
        self._done = True
        if self.answer is not None:
            self.answer.release()
        self._slots.give_back()
        await self._shares.give_back(self._share)


def _all_streams_taken() -> ServiceUnavailable:
    return ServiceUnavailable(
        "Too many streams are open; retry later.",
        headers={"Retry-After": str(STREAM_POOL_FULL_RETRY_AFTER_SECONDS)},
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


def _returned_headers(answer: aiohttp.ClientResponse) -> list[tuple[bytes, bytes]]:
    raw = answer.raw_headers
    pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
    return [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in returned_response_headers(pairs)
    ]


class _WholeAnswer(Response):
    """A service's answer as it came: its status, its headers less hop-by-hop ones, its body.

    Made directly, not by Response's constructor, whose headers would only be replaced.
    """

    def __init__(
        self, status_code: int, raw_headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self.body = body
        self.background = None


def _whole(answer: aiohttp.ClientResponse, content: bytes) -> Response:
    headers = _returned_headers(answer)
    status = answer.status
    # A chunked answer is relayed whole, so it gets the length a Response would give it.
    has_body = status >= 200 and status not in (204, 304)
    if has_body and not any(name.lower() == b"content-length" for name, _ in headers):
        headers.append((b"content-length", str(len(content)).encode()))
    return _WholeAnswer(status, headers, content)


def _streamed(answer: aiohttp.ClientResponse, release: _Release) -> StreamingResponse:
    """Relays the body chunk by chunk as it arrives: server-sent events flow one by one."""
    response = StreamingResponse(
        _relay(answer, release), status_code=answer.status, background=BackgroundTask(release)
    )
    response.raw_headers = _returned_headers(answer)
    return response


async def _relay(answer: aiohttp.ClientResponse, release: _Release) -> AsyncIterator[bytes]:
    try:
        async for chunk in answer.content.iter_any():
            yield chunk
    except (aiohttp.ClientError, TimeoutError) as exc:
        # The status line is already sent: all that is left is to end the body early.
        log.warning("upstream stream broke", extra={"error": repr(exc)})
    finally:
        # Also here: a client that goes away may end the relay before the background task runs.
        await release()


def _as_problem(answer: aiohttp.ClientResponse, upstream: Backend) -> Response:
    kept = {name: answer.headers[name] for name in _ERROR_HEADERS_KEPT if name in answer.headers}
    return problem_response(
        answer.status,
        f"The {upstream} service could not handle the request.",
        headers=kept,
    )
