"""The CORS layer answers a request without an Origin exactly as Starlette's CORSMiddleware."""

import pytest
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.cors import ALLOWED_HEADERS, EXPOSED_HEADERS, ProblemCorsMiddleware

type RawHeaders = list[tuple[bytes, bytes]]


def answering_with(headers: RawHeaders) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


async def answer_through(
    middleware: type[CORSMiddleware], request: RawHeaders, answer: RawHeaders
) -> list[Message]:
    app = middleware(
        answering_with(answer),
        allow_origins=["https://app.example"],
        allow_methods=["*"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/v1/me", "headers": request}
    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize(
    "request_headers",
    [
        pytest.param([(b"host", b"gateway")], id="no origin"),
        pytest.param([(b"origin", b"https://app.example")], id="an allowed origin"),
        pytest.param([(b"origin", b"https://evil.example")], id="another origin"),
    ],
)
@pytest.mark.parametrize(
    "answer_headers",
    [
        pytest.param([(b"content-type", b"application/json")], id="no vary"),
        pytest.param([(b"vary", b"Accept"), (b"content-length", b"2")], id="one vary"),
        pytest.param(
            [(b"vary", b"Accept"), (b"etag", b"x"), (b"vary", b"Cookie"), (b"x-a", b"1")],
            id="two vary",
        ),
    ],
)
async def test_an_answer_gets_the_headers_starlettes_cors_middleware_gives_it(
    request_headers: RawHeaders, answer_headers: RawHeaders
) -> None:
    ours = await answer_through(ProblemCorsMiddleware, request_headers, answer_headers)
    starlettes = await answer_through(CORSMiddleware, request_headers, answer_headers)

    assert ours == starlettes
