"""Cross-origin access for the web client, with refusals in the one error format."""

from functools import partial

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from shared.problems import problem_response

ALLOWED_HEADERS = ["Authorization", "Content-Type", "X-Request-ID"]
EXPOSED_HEADERS = ["Location", "Retry-After", "X-Request-ID"]


class ProblemCorsMiddleware(CORSMiddleware):
    """Starlette's CORS handling, except that a refused preflight is problem+json too.

    A request without an Origin header (every same-origin and non-browser one) takes a
    shorter way to the one thing CORSMiddleware does for it, adding Origin to Vary: its
    header wrappers cost more than that on every request the gateway forwards.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _has_origin(scope):
            await self.app(scope, receive, partial(_varying_on_origin, send))
            return
        await super().__call__(scope, receive, send)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        kept = {
            name: value
            for name, value in response.headers.items()
            if name not in {"content-length", "content-type"}
        }
        return problem_response(response.status_code, bytes(response.body).decode(), headers=kept)


def _has_origin(scope: Scope) -> bool:
    return any(name == b"origin" for name, _ in scope["headers"])


async def _varying_on_origin(send: Send, message: Message) -> None:
    if message["type"] == "http.response.start":
        message["headers"] = _with_vary_origin(list(message.get("headers", [])))
    await send(message)


def _with_vary_origin(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The answer's headers with Origin added to Vary, its values joined in one header where
    the first one was (CORSMiddleware's `headers["Vary"] = ...`)."""
    found = [index for index, (name, _) in enumerate(headers) if name == b"vary"]
    vary = (b"vary", b", ".join([*(headers[index][1] for index in found), b"Origin"]))
    if not found:
        return [*headers, vary]
    for index in reversed(found[1:]):
        del headers[index]
    headers[found[0]] = vary
    return headers
