"""The headers that keep the web client and the API explorer safe in a browser.

Every answer: `X-Content-Type-Options: nosniff` (a browser never guesses a type) and
`Referrer-Policy: no-referrer` (no URL leaves for another site). Every page: a strict
Content-Security-Policy (only this origin's own scripts, styles, images, videos and connections;
no plugins, no `<base>`), and `frame-ancestors 'none'` with `X-Frame-Options: DENY` for
older browsers, so no other site can frame it (clickjacking).
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

EVERY_ANSWER = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
EVERY_PAGE = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY"}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY_ANSWER.items():
                    headers.setdefault(name, value)
                if "html" in headers.get("content-type", ""):
                    for name, value in EVERY_PAGE.items():
                        headers.setdefault(name, value)
            await send(message)

        await self._app(scope, receive, send_with_headers)
