"""The gateway's FastAPI factory: middleware, routes and start-up (`create_app`)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]  # no stubs

from gateway.api import (
    API_TITLE,
    DOCS_ASSETS_PATH,
    PublicApiMiddleware,
    docs_router,
    export_router,
)
from gateway.components import components_of, compose
from gateway.cors import ALLOWED_HEADERS, EXPOSED_HEADERS, ProblemCorsMiddleware
from gateway.country import TrustedCountryMiddleware
from gateway.domain import is_proxied, parse_networks
from gateway.federation import federation_router
from gateway.rate_limit import ClientAddressMiddleware, ClientIpRateLimitMiddleware
from gateway.settings import GatewaySettings
from gateway.web_headers import SecurityHeadersMiddleware
from shared.lifecycle import DrainMiddleware, Lifecycle
from shared.logging import configure_logging
from shared.observability import ReadinessCheck, RequestContextMiddleware, health_router
from shared.openapi import OpenApiDocument
from shared.problems import install_problem_handlers
from shared.tracing import configure_tracing, instrument_app, tracing_enabled

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"
API_DESCRIPTION = "Co-authored posts: one public API in front of the CoPost services."


class GatewayApp(FastAPI):
    """A FastAPI app whose /v1 requests enter the gateway's own middleware directly.

    FastAPI's outer layers (its server-error, exception-telemetry and body-limit middleware,
    and its telemetry check) cost CPU on every request and do nothing for a forwarded one:
    the request-context middleware answers every error itself, the proxy limits bodies, and
    FastAPI's telemetry is off. With tracing on they stay, since the instrumentation wraps
    them. Every other path (probes, metrics, docs, the web client) is FastAPI's as usual.
    """

    def __init__(self, *, shortcut_public_api: bool, **options: Any) -> None:
        super().__init__(**options)
        self._shortcut_public_api = shortcut_public_api
        self._public_api: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self._shortcut_public_api
            and scope["type"] == "http"
            # The data export is answered by a route of the gateway's own, which needs
            # FastAPI's layers.
            and is_proxied(scope["method"], scope["path"])
        ):
            scope["app"] = self
            if self._public_api is None:
                self._public_api = self._own_middleware_stack()
            await self._public_api(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _own_middleware_stack(self) -> ASGIApp:
        """The middleware added to this app, in their order, around the router."""
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_tracing(settings.service_name)
    lifecycle = Lifecycle(settings.shutdown_grace_seconds, service_name=settings.service_name)
    app = GatewayApp(
        shortcut_public_api=not tracing_enabled(),
        title=API_TITLE,
        lifespan=partial(_lifespan, settings, lifecycle),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    install_problem_handlers(app)
    app.state.lifecycle = lifecycle
    app.include_router(
        health_router(
            _readiness_checks(app), service_name=settings.service_name, lifecycle=lifecycle
        )
    )
    app.include_router(docs_router)
    app.include_router(export_router)
    if settings.federation_domain:
        app.include_router(federation_router)
    app.mount(DOCS_ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="docs-assets")
    if settings.static_dir is not None:
        app.mount("/", StaticFiles(directory=settings.static_dir, html=True), name="web-client")
    # Added innermost first: request ids wrap everything, CORS headers reach even refusals.
    app.add_middleware(PublicApiMiddleware)
    app.add_middleware(
        ClientIpRateLimitMiddleware, limiter_of=lambda a: components_of(a).ip_limiter
    )
    app.add_middleware(ClientAddressMiddleware, trusted=parse_networks(settings.trusted_proxies))
    app.add_middleware(
        TrustedCountryMiddleware,
        header=settings.country_header,
        trusted=parse_networks(settings.trusted_proxies),
    )
    app.add_middleware(
        ProblemCorsMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["*"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware, service_name=settings.service_name)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(DrainMiddleware, lifecycle=lifecycle)
    instrument_app(app, settings.service_name)
    return app


@asynccontextmanager
async def _lifespan(
    settings: GatewaySettings, lifecycle: Lifecycle, app: FastAPI
) -> AsyncIterator[None]:
    configure_logging(settings.service_name, settings.log_level)
    components = compose(settings, partial(own_openapi, app))
    async with (
        lifecycle.serving(),
        lifecycle.exits_within("closing the components", components) as gateway,
    ):
        app.state.components = gateway
        lifecycle.started()
        log.info("gateway started")
        yield


def own_openapi(app: FastAPI) -> OpenApiDocument:
    return get_openapi(
        title=API_TITLE, version=API_VERSION, description=API_DESCRIPTION, routes=app.routes
    )


def _readiness_checks(app: FastAPI) -> dict[str, ReadinessCheck]:
    async def users() -> bool:
        return await components_of(app).users_answers()

    async def jwks() -> bool:
        return await components_of(app).jwks.ensure_loaded()

    return {"users": users, "jwks": jwks}
