"""Forwarding a public request to the service that owns it, and streaming its answer back."""

import logging
from collections.abc import AsyncIterator, Mapping

import httpx
from fastapi import Request, Response
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from gateway.domain import (
    QUERY_TOKEN_PARAMETER,
    Upstream,
    forwarded_request_headers,
    is_json_media_type,
    is_streaming,
    returned_response_headers,
)
from shared.identity import ASSERTION_HEADER, REQUEST_ID_HEADER, AssertionSigner
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

# When every stream connection is taken, one usually frees up soon.
STREAM_POOL_FULL_RETRY_AFTER_SECONDS = 5

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
    """Sends requests to the services with one HTTP client each, and relays their answers.

    Streams (the notification stream) go through a client of their own, whose pool has its
    own size: however many streams are open, ordinary requests keep their connections.
    """

    def __init__(
        self,
        clients: Mapping[Upstream, httpx.AsyncClient],
        stream_client: httpx.AsyncClient,
        signer: AssertionSigner,
        *,
        timeout_seconds: float,
    ) -> None:
        self._clients = clients
        self._stream_client = stream_client
        self._signer = signer
        self._timeout_seconds = timeout_seconds

    async def aclose(self) -> None:
        await self._stream_client.aclose()

    async def forward(
        self, request: Request, upstream: Upstream, *, user_id: str | None, body: bytes
    ) -> Response:
        streaming = is_streaming(request.method, request.url.path)
        client = self._stream_client if streaming else self._clients[upstream]
        outgoing = client.build_request(
            request.method,
            _forwarded_path(request),
            params=_forwarded_query(request),
            headers=self._forwarded_headers(request, upstream, user_id),
            content=body or None,
            timeout=self._timeout_for(request),
        )
        try:
            answer = await client.send(outgoing, stream=True)
        except httpx.PoolTimeout:
            if not streaming:
                raise GatewayTimeout(f"The {upstream} service did not answer in time.") from None
            raise ServiceUnavailable(
                "Too many streams are open; retry later.",
                headers={"Retry-After": str(STREAM_POOL_FULL_RETRY_AFTER_SECONDS)},
            ) from None
        except httpx.ConnectError:
            raise ServiceUnavailable(f"The {upstream} service is unavailable.") from None
        except httpx.TimeoutException:
            raise GatewayTimeout(f"The {upstream} service did not answer in time.") from None
        except httpx.TransportError as exc:
            log.warning("upstream transport error", extra={"upstream": upstream, "error": str(exc)})
            raise BadGateway(f"The {upstream} service gave no valid answer.") from None
        if answer.status_code >= 400 and not is_json_media_type(answer.headers.get("content-type")):
            return await _as_problem(answer, upstream)
        return _streamed(answer)

    def _timeout_for(self, request: Request) -> httpx.Timeout:
        if is_streaming(request.method, request.url.path):
            # A live event stream may stay quiet for long; only connecting is bounded.
            return httpx.Timeout(self._timeout_seconds, read=None)
        return httpx.Timeout(self._timeout_seconds)

    def _forwarded_headers(
        self, request: Request, upstream: Upstream, user_id: str | None
    ) -> list[tuple[str, str]]:
        """The client's headers minus identity and hop ones, plus an assertion for `upstream`.

        The assertion names the verified user (or none) and is bound to this request's id.
        """
        headers = forwarded_request_headers(request.headers.items())
        request_id = request_id_var.get() or ""
        headers.append((REQUEST_ID_HEADER, request_id))
        headers.append((ASSERTION_HEADER, self._signer.sign(upstream, request_id, user_id)))
        if request.client is not None:
            headers.append(("X-Forwarded-For", request.client.host))
        headers.append(("X-Forwarded-Proto", request.url.scheme))
        return headers


def _forwarded_path(request: Request) -> str:
    """The path as the client encoded it: decoding `%3F` or `%2F` would change its meaning."""
    raw_path: bytes | None = request.scope.get("raw_path")
    if not raw_path:
        return request.url.path
    # Some servers include the query string in raw_path; the query is forwarded separately.
    return raw_path.partition(b"?")[0].decode("latin-1")


def _forwarded_query(request: Request) -> httpx.QueryParams:
    # The query token is never passed on: services would log it with the URL.
    return httpx.QueryParams(
        [
            (name, value)
            for name, value in request.query_params.multi_items()
            if name != QUERY_TOKEN_PARAMETER
        ]
    )


def _streamed(answer: httpx.Response) -> StreamingResponse:
    """Relays the body chunk by chunk as it arrives: server-sent events flow one by one."""
    response = StreamingResponse(
        _relay(answer), status_code=answer.status_code, background=BackgroundTask(answer.aclose)
    )
    response.raw_headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in returned_response_headers(answer.headers.multi_items())
    ]
    return response


async def _relay(answer: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in answer.aiter_raw():
            yield chunk
    except httpx.HTTPError as exc:
        # The status line is already sent: all that is left is to end the body early.
        log.warning("upstream stream broke", extra={"error": repr(exc)})


async def _as_problem(answer: httpx.Response, upstream: Upstream) -> Response:
    await answer.aclose()
    kept = {name: answer.headers[name] for name in _ERROR_HEADERS_KEPT if name in answer.headers}
    return problem_response(
        answer.status_code,
        f"The {upstream} service could not handle the request.",
        headers=kept,
    )
